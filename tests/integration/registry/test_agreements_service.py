"""Organization agreements as their users reach them: over NATS with signed identities, against real PostgreSQL.
A coordinator drafts; the coordinator and the organization's own contact person read the document and sign its
hash; bad input is refused naming the field, a stale hash as a conflict, another organization's contact person as
forbidden."""

from __future__ import annotations

import datetime as dt

import nats
import pytest

from services.registry.service import definition
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.agreement_steps import sign_by_both
from tests.callers import request

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]
COORDINATOR = {"id": "coord", "role": "coordinator"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
OTHER_CONTACT = {"id": "ulla", "role": "organization_contact", "organization_id": "other"}
TODAY = dt.date.today()
UNTIL = TODAY + dt.timedelta(days=365)
AGREEMENT = {"organization_id": "mieli", "agreement_id": "a-1"}


@pytest.fixture
async def registry(environment):
    runtime = ServiceRuntime(definition(), environment.settings("registry"))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)

    async def send(name, actor, body):
        return await request(nc, f"kokemus.registry.{name}", {"actor": actor, **body})

    for organization_id in ("mieli", "other"):
        await send("cmd.register_organization", COORDINATOR, {"organization_id": organization_id,
                                                              "name": organization_id.title(), "kind": "ngo"})
    await send("cmd.appoint_contact_person", COORDINATOR, {"organization_id": "mieli", "person_id": "olli",
                                                           "name": "Olli", "email": "olli@mieli.fi"})
    yield send
    await nc.close()
    await runtime.stop()


async def refused(send, name, actor, body) -> RemoteError:
    with pytest.raises(RemoteError) as error:
        await send(name, actor, body)
    return error.value


@pytest.mark.parametrize(("body", "field"), [
    ({"valid_from": str(TODAY), "valid_until": str(TODAY - dt.timedelta(days=1))}, "valid_until"),
    ({"valid_from": "2026-02-30"}, "valid_from"),
    ({"valid_from": str(TODAY), "annual_fee": "-5"}, "annual_fee"),
    ({"valid_from": str(TODAY), "notice_days": 400}, "notice_days"),
])
async def test_bad_terms_are_refused_naming_the_field(registry, body, field):
    error = await refused(registry, "cmd.draft_organization_agreement", COORDINATOR, {**AGREEMENT, **body})
    assert error.code == "validation" and error.fields[0]["field"] == field, error


async def test_drafted_read_and_signed_by_both_it_is_in_force_and_renewed_and_ended(registry):
    send = registry
    await send("cmd.draft_organization_agreement", COORDINATOR, {**AGREEMENT, "valid_from": str(TODAY),
                                                                 "valid_until": str(UNTIL), "annual_fee": "1200"})
    error = await refused(send, "cmd.sign_organization_agreement", CONTACT, {**AGREEMENT, "document_hash": "0" * 64})
    assert error.code == "conflict" and "stale or altered" in error.message
    error = await refused(send, "cmd.sign_organization_agreement", CONTACT, {**AGREEMENT, "document_hash": "xyz"})
    assert error.code == "validation" and error.fields[0]["field"] == "document_hash"
    fi = await send("query.organization_agreement", CONTACT, AGREEMENT)
    assert "1\u00a0200,00\u00a0€" in fi["html"] and fi["to_sign"]
    for forbidden in ("cmd.sign_organization_agreement", "query.organization_agreement"):
        error = await refused(send, forbidden, OTHER_CONTACT, {**AGREEMENT, "document_hash": fi["sha256"]}
                              if forbidden.startswith("cmd") else AGREEMENT)
        assert error.code == "forbidden"
    organization = await send("query.get_organization", CONTACT, {"organization_id": "mieli"})
    assert organization["agreements"]["a-1"]["status"] == "to_sign"

    signed = await sign_by_both(send, COORDINATOR, CONTACT, "mieli", "a-1")
    assert (signed["status"], signed["valid_from"], signed["valid_until"]) == ("in_force", str(TODAY), str(UNTIL))
    assert set(signed["versions"][0]["signatures"]) == {"county", "organization"}

    renewal = {**AGREEMENT, "valid_from": str(UNTIL + dt.timedelta(days=1))}
    await send("cmd.renew_organization_agreement", COORDINATOR, renewal)
    renewed = await sign_by_both(send, COORDINATOR, CONTACT, "mieli", "a-1")
    assert (renewed["valid_from"], renewed["valid_until"], len(renewed["versions"])) == (str(TODAY), None, 2)
    first = await send("query.organization_agreement", CONTACT, {**AGREEMENT, "version": 1, "language": "sv"})
    assert first["html"].startswith('<article class="agreement-document" lang="sv">') and not first["to_sign"]

    error = await refused(send, "cmd.end_organization_agreement", COORDINATOR, {**AGREEMENT, "ended_on": str(UNTIL),
                                                                                 "reason": "bored"})
    assert error.code == "validation" and error.fields[0]["field"] == "reason"
    ended = await send("cmd.end_organization_agreement", COORDINATOR, {
        **AGREEMENT, "ended_on": str(UNTIL), "reason": "terminated_by_organization"})
    assert (ended["status"], ended["ended_on"], ended["end_reason"]) == ("ended", str(UNTIL),
                                                                         "terminated_by_organization")

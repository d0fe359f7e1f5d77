"""Organization agreements between the county and an NGO, through the registry's handlers on the in-memory store:
a document in Finnish and Swedish, signed by both parties against its hash, in force only then, renewed, ended."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from services.registry import events, handlers as h, messages as m
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import SYSTEM, Actor, NewEvent, Role
from shared.upcasting import upcast
from tests.unit.calls import call
from tests.unit.registry.depth import (
    CONTACT,
    COORDINATOR,
    OTHER_CONTACT,
    TODAY,
    UNTIL,
    document,
    published,
    sign,
)

NOT_APPOINTED = Actor(id="mallory", role=Role.organization_contact, organization_id="mieli")


async def test_the_draft_is_a_document_in_finnish_and_swedish_with_its_terms_and_its_hash(mieli):
    fi, sv = await document(mieli), await document(mieli, CONTACT, "sv")
    assert "<h1>Järjestösopimus</h1>" in fi["html"] and "<h1>Organisationsavtal</h1>" in sv["html"]
    for text in ("Mieli (mieli)", "2\u00a0500,00\u00a0€ vuodessa", "21 päivän", "60 päivän",
                 f"{TODAY.day}.{TODAY.month}.{TODAY.year} alkaen {UNTIL.day}.{UNTIL.month}.{UNTIL.year} asti",
                 "Järjestön tehtävät", "Hyvinvointialueen tehtävät", "Tietosuoja", "Sopimuksen päättyminen"):
        assert text in fi["html"], text
    assert "2\u00a0500,00\u00a0€ per år" in sv["html"] and "Dataskydd" in sv["html"]
    assert fi["sha256"] == hashlib.sha256(fi["html"].encode()).hexdigest() != sv["sha256"]
    assert fi == await document(mieli)  # the same terms, the same document
    assert (fi["version"], fi["to_sign"], fi["agreement"]["status"]) == (1, True, "to_sign")
    organization = await call(h.get_organization, m.GetOrganization(organization_id="mieli"), CONTACT, mieli)
    assert organization["agreements"]["a-2027"]["valid_from"] is None  # not in force before both sign


async def test_in_force_only_when_both_have_signed_each_bound_to_the_document_they_read(mieli):
    fi, sv = await document(mieli), await document(mieli, CONTACT, "sv")
    county_signed = await sign(mieli, COORDINATOR, fi["sha256"])
    assert county_signed["status"] == "to_sign" and not published(mieli, "OrganizationAgreementSigned")
    with pytest.raises(Conflict, match="already signed"):
        await sign(mieli, COORDINATOR, fi["sha256"])
    both = await sign(mieli, CONTACT, sv["sha256"])
    assert (both["status"], both["valid_from"], both["valid_until"]) == ("in_force", str(TODAY), str(UNTIL))
    assert both["versions"][0]["signatures"] == {
        "county": {"signer_id": "coord", "language": "fi", "sha256": fi["sha256"]},
        "organization": {"signer_id": "olli", "language": "sv", "sha256": sv["sha256"]}}
    [in_force] = published(mieli, "OrganizationAgreementSigned")
    assert (in_force.payload["valid_from"], in_force.payload["valid_until"]) == (str(TODAY), str(UNTIL))


async def test_a_stale_or_altered_document_is_refused(mieli):
    fi = await document(mieli)
    with pytest.raises(Conflict, match="stale or altered"):
        await sign(mieli, COORDINATOR, hashlib.sha256(fi["html"].replace("2\u00a0500", "25").encode()).hexdigest())
    assert not published(mieli, "OrganizationAgreementSignedBy")


@pytest.mark.parametrize("actor", [OTHER_CONTACT, NOT_APPOINTED, Actor(id="maija", role=Role.expert)])
async def test_only_a_contact_person_of_that_organization_signs_for_it(mieli, actor):
    sv = await document(mieli, CONTACT, "sv")
    with pytest.raises(Forbidden):
        await sign(mieli, actor, sv["sha256"])
    if actor is OTHER_CONTACT:
        with pytest.raises(Forbidden):
            await document(mieli, actor)


async def test_a_renewal_is_a_new_version_signed_again_and_every_version_stays_readable(mieli):
    await sign(mieli, COORDINATOR, (await document(mieli))["sha256"])
    with pytest.raises(Conflict, match="not signed by both"):
        await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL), COORDINATOR, mieli)
    first = await document(mieli, CONTACT, "sv")
    await sign(mieli, CONTACT, first["sha256"])
    with pytest.raises(Invalid) as gap:
        await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL + dt.timedelta(days=2)), COORDINATOR,
            mieli)
    assert gap.value.fields[0].field == "valid_from"
    with pytest.raises(Invalid) as shorter:
        await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL, valid_until=UNTIL), COORDINATOR, mieli)
    assert shorter.value.fields[0].field == "valid_until"
    next_until = UNTIL + dt.timedelta(days=365)
    renewed = await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
        organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL + dt.timedelta(days=1),
        valid_until=next_until), COORDINATOR, mieli)
    assert (renewed["status"], [v["version"] for v in renewed["versions"]]) == ("renewal_to_sign", [1, 2])
    with pytest.raises(Conflict, match="stale"):
        await sign(mieli, CONTACT, first["sha256"])  # version 1 is no longer the one to sign
    second = await document(mieli, CONTACT, "sv")
    assert second["version"] == 2 and "Denna version 2 förlänger avtalet" in second["html"]
    assert await document(mieli, CONTACT, "sv", version=1) == {**first, "current_version": 2, "to_sign": False,
                                                               "agreement": second["agreement"]}
    await sign(mieli, CONTACT, second["sha256"])
    both = await sign(mieli, COORDINATOR, (await document(mieli))["sha256"])
    assert (both["valid_from"], both["valid_until"]) == (str(TODAY), str(next_until))  # no gap: one period
    assert [e.payload["valid_until"] for e in published(mieli, "OrganizationAgreementSigned")] == [
        str(UNTIL), str(next_until)]


async def test_an_ended_agreement_names_its_day_and_reason_and_is_no_longer_signed_or_renewed(mieli):
    with pytest.raises(Invalid) as early:
        await call(h.end_organization_agreement, m.EndOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", ended_on=TODAY - dt.timedelta(days=1)), COORDINATOR,
            mieli)
    assert early.value.fields[0].field == "ended_on"
    ended = await call(h.end_organization_agreement, m.EndOrganizationAgreement(
        organization_id="mieli", agreement_id="a-2027", ended_on=TODAY, reason="mutual"), COORDINATOR, mieli)
    assert (ended["status"], ended["ended_on"], ended["end_reason"]) == ("ended", str(TODAY), "mutual")
    with pytest.raises(Conflict, match="ended"):
        await sign(mieli, COORDINATOR, (await document(mieli))["sha256"])
    with pytest.raises(Conflict, match="ended"):
        await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL), COORDINATOR, mieli)
    assert (await document(mieli))["to_sign"] is False


async def test_bad_terms_are_refused_naming_the_field(mieli):
    with pytest.raises(Invalid) as backwards:
        await call(h.draft_organization_agreement, m.DraftOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2", valid_from=TODAY, valid_until=TODAY - dt.timedelta(days=1)),
            COORDINATOR, mieli)
    assert backwards.value.fields[0].field == "valid_until"
    with pytest.raises(Invalid) as missing:
        await document(mieli, agreement_id="nope")
    assert missing.value.fields[0].field == "agreement_id"
    with pytest.raises(Invalid) as version:
        await document(mieli, version=2)
    assert version.value.fields[0].field == "version"
    with pytest.raises(Conflict, match="already drafted"):
        await call(h.draft_organization_agreement, m.DraftOrganizationAgreement(
            organization_id="mieli", agreement_id="a-2027", valid_from=TODAY), COORDINATOR, mieli)


async def test_an_agreement_recorded_before_documents_still_reads_and_ends(mieli):
    store = mieli.uow.store
    version = len(await store.read_stream("organization-mieli"))
    await store.append("organization-mieli", version, [
        NewEvent(events.OrganizationAgreementSigned(organization_id="mieli", agreement_id="old", valid_from=TODAY),
                 SYSTEM),
        NewEvent(events.OrganizationAgreementEnded(organization_id="mieli", agreement_id="old", ended_on=UNTIL),
                 SYSTEM)])
    organization = await call(h.get_organization, m.GetOrganization(organization_id="mieli"), CONTACT, mieli)
    assert organization["agreements"]["old"] == {"valid_from": str(TODAY), "valid_until": None, "status": "ended",
                                                 "version": None, "ended_on": str(UNTIL)}
    with pytest.raises(Conflict, match="before agreements had documents"):
        await document(mieli, agreement_id="old")


def test_an_end_recorded_before_reasons_reads_with_none():
    lifted = upcast(events.OrganizationAgreementEnded, 1, {"organization_id": "mieli", "agreement_id": "old",
                                                           "ended_on": "2025-12-31"})
    ended = events.OrganizationAgreementEnded.model_validate(lifted)
    assert (ended.reason, ended.ended_on) == (None, dt.date(2025, 12, 31))

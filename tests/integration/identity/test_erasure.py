"""The registry's erasures reach the identity service: an erased orderer's (or contact person's) open sessions end,
the keys their sign-ins were sealed with are shredded, the view forgets them and the erasure is recorded; another
person's sign-ins stay. Before that, the person sees their own sign-ins (my_sign_ins, the right of access)."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
import nats
import pytest

from shared.messaging.rpc import RemoteError, request
from tests.conftest import eventually
from tests.integration.identity.test_sign_in import bus, sign_in, token  # noqa: F401 (bus: the fixture)

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "identity")]


async def refused(nc: nats.NATS, session: str) -> bool:
    try:
        await token(nc, session)
    except RemoteError as error:
        return error.code == "unauthenticated"
    return False


async def test_an_erased_orderers_and_contact_persons_sign_ins_end_and_are_forgotten(bus, environment):  # noqa: F811
    nc = bus
    coordinator = (await sign_in(nc, staff_role="coordinator"))["token"]
    await request(nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}, token=coordinator)
    await request(nc, "kokemus.registry.cmd.appoint_contact_person", {
        "organization_id": "mieli", "person_id": "olli", "name": "Olli", "email": "olli@mieli.fi"}, token=coordinator)
    await request(nc, "kokemus.registry.cmd.grant_credentials", {
        "orderer_id": "school-1", "orderer_name": "Turun koulu", "email": "rehtori@koulu.fi"}, token=coordinator)

    first = await sign_in(nc, email="rehtori@koulu.fi")
    await sign_in(nc, email="rehtori@koulu.fi")
    olli = await sign_in(nc, email="olli@mieli.fi")
    mine = await request(nc, "kokemus.identity.query.my_sign_ins", {}, token=first["token"])
    assert [(s["provider"], s["ended_at"]) for s in mine["sign_ins"]] == [("development", None)] * 2

    await request(nc, "kokemus.registry.cmd.erase_orderer", {"orderer_id": "school-1", "ground": "objection"},
                  token=coordinator)
    await eventually(lambda: refused(nc, first["session"]), timeout=30)
    assert (await token(nc, olli["session"]))["act"]["id"] == "olli"  # another person's sign-ins stay

    dsn = urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()
    conn = await asyncpg.connect(dsn)
    try:
        assert [row["record_id"] for row in await conn.fetch("SELECT record_id FROM identity.sign_ins")] == ["olli"]
        assert await conn.fetchval("SELECT count(*) FROM identity.sessions") == 2  # the coordinator's and Olli's
        shredded = await conn.fetchval(
            "SELECT count(*) FROM identity.subject_keys WHERE subject_id LIKE 'signin:%' AND key IS NULL")
        assert shredded == 2
        erased = await conn.fetch(
            "SELECT payload->>'record_id' AS record, payload->>'sessions' AS sessions FROM identity.events "
            "WHERE event_type = 'SignInsErased'")
        assert [(row["record"], row["sessions"]) for row in erased] == [("school-1", "2")]
    finally:
        await conn.close()

    # The contact person erased: the same for him.
    await request(nc, "kokemus.registry.cmd.erase_contact_person", {"person_id": "olli", "ground": "objection"},
                  token=coordinator)
    await eventually(lambda: refused(nc, olli["session"]), timeout=30)

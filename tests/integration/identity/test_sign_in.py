"""Signing in on a real NATS and PostgreSQL: the identity service asks the registry who a person is, the
token it makes acts in one of those roles, the registry believes only the token, and a role taken away in the
registry is gone from the next token (and every older token expires within the token lifetime)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest

from services import definitions
from shared.messaging.rpc import RemoteError, request
from shared.runtime.service import ServiceRuntime
from tests.conftest import eventually

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "identity")]
TOKEN_SECONDS = 5  # short, so the test can show an old token running out; the default is 60


@pytest.fixture
async def bus(environment) -> AsyncIterator[nats.NATS]:
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(
        name, development_sign_in=True, identity_token_seconds=TOKEN_SECONDS)) for name in ("registry", "identity")]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    yield nc
    await nc.close()
    for runtime in runtimes:
        await runtime.stop()


async def sign_in(nc: nats.NATS, **who) -> dict:
    return await request(nc, "kokemus.identity.cmd.development_sign_in", who)


async def token(nc: nats.NATS, session: str, **act_as) -> dict:
    return await request(nc, "kokemus.identity.query.token", {"session": session, "act_as": act_as})


async def test_the_registry_says_who_signs_in_and_a_revoked_role_leaves_the_next_token(bus):
    nc = bus
    anna = await sign_in(nc, staff_role="coordinator")
    coordinator = anna["token"]
    await request(nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}, token=coordinator)
    await request(nc, "kokemus.registry.cmd.appoint_contact_person", {
        "organization_id": "mieli", "person_id": "olli", "name": "Olli", "email": "olli@mieli.fi"}, token=coordinator)
    await request(nc, "kokemus.registry.cmd.grant_credentials", {
        "orderer_id": "school-1", "orderer_name": "Turun koulu", "email": "olli@mieli.fi"}, token=coordinator)

    # One address, two roles: the token acts in the one asked for, and the registry believes only the token.
    olli = await sign_in(nc, email="OLLI@mieli.fi", act_as={"role": "orderer"})
    assert olli["act"] == {"role": "orderer", "id": "school-1", "organization_id": None}
    assert {(a["role"], a["id"]) for a in olli["acts"]} == {("orderer", "school-1"), ("organization_contact", "olli")}
    orderer = olli["token"]
    assert await request(nc, "kokemus.registry.query.search_bank", {}, token=orderer) == []
    with pytest.raises(RemoteError) as forbidden:  # an orderer, whatever the body claims
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"actor": {"id": "x", "role": "coordinator"}, "organization_id": "fake", "name": "F",
                       "kind": "ngo"}, token=orderer)
    assert forbidden.value.code == "validation" and forbidden.value.fields[0]["field"] == "actor"
    with pytest.raises(RemoteError) as refused:
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"organization_id": "fake", "name": "F", "kind": "ngo"}, token=orderer)
    assert refused.value.code == "forbidden"

    # The coordinator revokes the credentials: the next token has no orderer role...
    await request(nc, "kokemus.registry.cmd.revoke_credentials", {"orderer_id": "school-1", "reason": "moved"},
                  token=coordinator)
    fresh = await token(nc, olli["session"])
    assert [(a["role"], a["id"]) for a in fresh["acts"]] == [("organization_contact", "olli")]
    with pytest.raises(RemoteError) as gone:
        await token(nc, olli["session"], role="orderer")
    assert gone.value.code == "validation" and gone.value.fields[0]["field"] == "act_as"

    # ...and the old token, made before, runs out within the token's lifetime.
    async def old_token_refused() -> bool:
        try:
            await request(nc, "kokemus.registry.query.search_bank", {}, token=orderer)
        except RemoteError as error:
            return error.code == "unauthenticated" and "expired" in error.message
        return False

    await eventually(old_token_refused, timeout=TOKEN_SECONDS + 10, interval=0.5)

    # A contact person removed: the next token has no role left, so nobody is signed in as them.
    coordinator = (await token(nc, anna["session"]))["token"]  # the coordinator's first one has run out too
    await request(nc, "kokemus.registry.cmd.remove_contact_person",
                  {"organization_id": "mieli", "person_id": "olli", "reason": "left"}, token=coordinator)
    with pytest.raises(RemoteError) as nothing_left:
        await token(nc, olli["session"])
    assert nothing_left.value.code == "forbidden" and "no role" in nothing_left.value.message


async def test_signing_out_everywhere_ends_every_session_and_a_token_needs_a_live_session(bus):
    nc = bus
    first = await sign_in(nc, staff_role="auditor")
    second = await sign_in(nc, staff_role="auditor")
    assert (await token(nc, first["session"]))["act"]["role"] == "auditor"
    assert await request(nc, "kokemus.identity.cmd.sign_out", {"session": first["session"], "everywhere": True}) == \
        {"signed_out": 2}
    for session in (first["session"], second["session"]):
        with pytest.raises(RemoteError) as ended:
            await token(nc, session)
        assert ended.value.code == "unauthenticated"


async def test_the_published_keys_verify_the_tokens(bus):
    from shared.identity import TokenVerifier, public_keys

    keys = await request(bus, "kokemus.identity.query.published_keys", {})
    signed = await sign_in(bus, staff_role="coordinator")
    claims = TokenVerifier(public_keys(__import__("json").dumps(keys)), accept_development=True).verify(signed["token"])
    assert claims.act.role == "coordinator" and claims.dev

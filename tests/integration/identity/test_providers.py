"""Signing in through real OpenID Connect providers (panva's oidc-provider, run with node): the county's staff
provider, whose groups make coordinators and auditors, and the people's provider for everyone else. A web
sign-in (authorization code with PKCE, as a web application does it) and the command line's device sign-in
each end in a token with exactly the roles the records give, and no more."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client

from kokemus.login import device_id_token
from services import definitions
from shared.identity import TokenVerifier, public_keys
from shared.messaging.rpc import RemoteError, request
from shared.runtime.service import ServiceRuntime
from tests.callers import JWKS, token_for
from tests.oidc_provider import Provider, approve_device, follow_login

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "identity")]

WEB, CLI = "kokemus-web", "kokemus-cli"
REDIRECT = "http://127.0.0.1:9/auth/callback"  # never requested: the test stops at the redirect
CLIENTS = [
    {"client_id": WEB, "client_secret": secrets.token_urlsafe(24), "redirect_uris": [REDIRECT],
     "grant_types": ["authorization_code"], "response_types": ["code"],
     "token_endpoint_auth_method": "client_secret_basic"},
    {"client_id": CLI, "token_endpoint_auth_method": "none", "application_type": "native",
     "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "response_types": [], "redirect_uris": []},
]
STAFF = {"anna": {"email": "anna@varha.fi", "email_verified": True, "groups": ["kokemus-coordinators"]},
         "aino": {"email": "aino@varha.fi", "email_verified": True, "groups": ["kokemus-auditors", "payroll"]},
         "eero": {"email": "eero@varha.fi", "email_verified": True, "groups": ["payroll"]}}
PEOPLE = {"maija": {"email": "Maija@Example.org", "email_verified": True, "groups": ["kokemus-coordinators"]},
          "ville": {"email": "ville@example.org", "email_verified": False}}
VERIFIER = TokenVerifier(public_keys(JWKS))


@pytest.fixture
async def world(environment, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    providers = {}
    for name, users in (("staff", STAFF), ("people", PEOPLE)):
        folder = tmp_path / name
        folder.mkdir()
        providers[name] = await asyncio.to_thread(Provider, folder, CLIENTS, users)
    oidc = {"oidc_staff_issuer": providers["staff"].issuer, "oidc_staff_client_ids": f"{WEB},{CLI}",
            "oidc_people_issuer": providers["people"].issuer, "oidc_people_client_ids": f"{WEB},{CLI}"}
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name, **oidc))
                for name in ("registry", "identity")]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    coordinator = token_for({"id": "setup", "role": "coordinator"})
    await request(nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}, token=coordinator)
    await request(nc, "kokemus.registry.cmd.register_expert", {
        "expert_id": "maija", "organization_id": "mieli", "name": "Maija", "email": "maija@example.org"},
        token=coordinator)
    try:
        yield {"nc": nc, "providers": providers}
    finally:
        await nc.close()
        for runtime in runtimes:
            await runtime.stop()
        for provider in providers.values():
            provider.stop()


async def web_id_token(provider: Provider, account: str) -> str:
    """As the web application does it: authorization code with PKCE, the person's browser played over HTTP."""
    client = CLIENTS[0]
    async with httpx.AsyncClient(timeout=10) as http:
        metadata = (await http.get(provider.issuer + "/.well-known/openid-configuration")).json()
    verifier = secrets.token_urlsafe(48)
    async with AsyncOAuth2Client(WEB, client["client_secret"], scope="openid email groups", redirect_uri=REDIRECT,
                                 code_challenge_method="S256") as oauth:
        url, _ = oauth.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier,
                                                nonce=secrets.token_urlsafe(16))
        async with httpx.AsyncClient(timeout=10) as browser:
            callback = await follow_login(browser, url, account, stop_prefix=REDIRECT)
        token = await oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                        code_verifier=verifier)
    return str(token["id_token"])


async def sign_in(nc: nats.NATS, provider: str, id_token: str) -> dict[str, Any]:
    return await request(nc, "kokemus.identity.cmd.sign_in", {"provider": provider, "id_token": id_token})


async def test_a_web_sign_in_through_the_peoples_provider_gives_the_records_roles_and_no_group_roles(world):
    id_token = await web_id_token(world["providers"]["people"], "maija")
    signed = await sign_in(world["nc"], "people", id_token)
    claims = VERIFIER.verify(signed["token"])
    # The records make her an expert; the coordinators' group of a provider that is not the staff's counts for nothing.
    assert [(c.role.value, c.id) for c in claims.acts] == [("expert", "maija")]
    assert claims.sub.startswith("people:")
    profile = await request(world["nc"], "kokemus.registry.query.get_expert", {"expert_id": "maija"},
                            token=signed["token"])
    assert profile["email"] == "maija@example.org"  # her own profile, in full


async def test_the_staff_providers_groups_make_coordinators_and_auditors(world):
    signed = await sign_in(world["nc"], "staff", await web_id_token(world["providers"]["staff"], "anna"))
    assert [c.role.value for c in VERIFIER.verify(signed["token"]).acts] == ["coordinator"]
    await request(world["nc"], "kokemus.registry.cmd.register_organization",
                  {"organization_id": "varha", "name": "Varha", "kind": "county"}, token=signed["token"])
    with pytest.raises(RemoteError) as nobody:  # staff, but in no kokemus group and in no record
        await sign_in(world["nc"], "staff", await web_id_token(world["providers"]["staff"], "eero"))
    assert nobody.value.code == "forbidden" and "no role" in nobody.value.message


async def test_the_command_lines_device_sign_in_gives_that_person_and_only_their_rights(world):
    staff = world["providers"]["staff"]
    shown: asyncio.Queue[str] = asyncio.Queue()

    async def person_at_a_browser() -> None:
        await approve_device(staff.issuer, await shown.get(), "aino")

    approving = asyncio.create_task(person_at_a_browser())
    id_token = await device_id_token(staff.issuer, CLI, lambda address, code: shown.put_nowait(code))
    await approving
    signed = await sign_in(world["nc"], "staff", id_token)
    auditor = signed["token"]
    assert VERIFIER.actor(auditor).role == "auditor"
    report = await request(world["nc"], "kokemus.registry.query.verify", {}, token=auditor)
    assert report["intact"]
    with pytest.raises(RemoteError) as refused:
        await request(world["nc"], "kokemus.registry.cmd.register_organization",
                      {"organization_id": "x", "name": "X", "kind": "ngo"}, token=auditor)
    assert refused.value.code == "forbidden"


async def test_an_unverified_address_or_another_providers_token_is_refused(world):
    with pytest.raises(RemoteError) as unverified:
        await sign_in(world["nc"], "people", await web_id_token(world["providers"]["people"], "ville"))
    assert unverified.value.code == "unauthenticated" and "e-mail" in unverified.value.message
    maija = await web_id_token(world["providers"]["people"], "maija")
    with pytest.raises(RemoteError) as crossed:  # a people's token presented as the staff provider's
        await sign_in(world["nc"], "staff", maija)
    assert crossed.value.code == "unauthenticated"
    with pytest.raises(RemoteError) as forged:
        await sign_in(world["nc"], "people", maija[:-8] + "AAAAAAAA")
    assert forged.value.code == "unauthenticated"

"""Signing in to the web through real OpenID Connect providers (panva's oidc-provider, run with node): the
authorization code flow with PKCE, the ID token handed to the identity service, and a session cookie that
gives exactly the roles the records give. A callback that does not match its sign-in is refused."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import nats
import pytest

from services.web.serve import listen
from shared.messaging.rpc import request
from tests.callers import token_for
from tests.oidc_provider import Provider, follow_login
from tests.web.system import running_services, running_web, web_settings

pytestmark = pytest.mark.integration

CLIENT_ID, SECRET = "kokemus-web", secrets.token_urlsafe(24)
STAFF = {"anna": {"email": "anna@varha.fi", "email_verified": True, "groups": ["kokemus-coordinators"]}}
PEOPLE = {"maija": {"email": "maija@example.org", "email_verified": True}}


@pytest.fixture
async def world(servers, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    listener = listen("127.0.0.1", 0)
    web_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    providers = {}
    for name, users in (("staff", STAFF), ("people", PEOPLE)):
        folder = tmp_path / name
        folder.mkdir()
        client = {"client_id": CLIENT_ID, "client_secret": SECRET, "grant_types": ["authorization_code"],
                  "redirect_uris": [f"{web_url}/auth/{name}/callback"], "response_types": ["code"],
                  "token_endpoint_auth_method": "client_secret_basic"}
        providers[name] = await asyncio.to_thread(Provider, folder, [client], users)
    oidc = {"oidc_staff_issuer": providers["staff"].issuer, "oidc_staff_client_ids": CLIENT_ID,
            "oidc_people_issuer": providers["people"].issuer, "oidc_people_client_ids": CLIENT_ID}
    settings = web_settings(servers.nats_url, int(web_url.rsplit(":", 1)[1]), development_sign_in=False,
                            oidc_staff_issuer=providers["staff"].issuer, oidc_people_issuer=providers["people"].issuer,
                            web_staff_client_secret=SECRET, web_people_client_secret=SECRET)
    try:
        async with running_services(servers, ("registry", "identity"), **oidc), running_web(settings, listener):
            nc = await nats.connect(servers.nats_url)
            coordinator = token_for({"id": "setup", "role": "coordinator"})
            await request(nc, "kokemus.registry.cmd.register_organization",
                          {"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}, token=coordinator)
            await request(nc, "kokemus.registry.cmd.register_expert", {
                "expert_id": "maija", "organization_id": "mieli", "name": "Maija", "email": "maija@example.org"},
                token=coordinator)
            await nc.close()
            yield {"web": web_url, "providers": providers}
    finally:
        for provider in providers.values():
            provider.stop()


async def sign_in(browser: httpx.AsyncClient, web: str, provider: str, account: str) -> httpx.Response:
    started = await browser.get(f"{web}/sign-in/{provider}")
    assert started.status_code in (302, 303, 307)
    authorize = started.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]  # PKCE
    assert query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0]
    callback = await follow_login(browser, authorize, account, stop_prefix=f"{web}/auth/{provider}/callback")
    return await browser.get(callback)


async def test_an_expert_signs_in_through_the_peoples_provider_and_sees_her_own_profile(world):
    web = world["web"]
    async with httpx.AsyncClient(timeout=20) as browser:
        signed = await sign_in(browser, web, "people", "maija")
        assert signed.status_code == 303 and signed.headers["location"] == "/expert"
        cookie = signed.headers["set-cookie"]
        assert "kokemus_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        profile = await browser.get(f"{web}/expert")
        assert profile.status_code == 200 and "maija@example.org" in profile.text
        assert (await browser.get(f"{web}/coordinator")).status_code == 403


async def test_county_staff_sign_in_through_the_staff_provider_as_coordinators(world):
    web = world["web"]
    async with httpx.AsyncClient(timeout=20) as browser:
        signed = await sign_in(browser, web, "staff", "anna")
        assert signed.headers["location"] == "/coordinator"
        organizations = await browser.get(f"{web}/coordinator")
        assert organizations.status_code == 200 and "Mieli ry" in organizations.text


async def test_a_callback_that_is_not_this_browsers_sign_in_is_refused(world):
    web = world["web"]
    async with httpx.AsyncClient(timeout=20) as browser:
        started = await browser.get(f"{web}/sign-in/people")
        callback = await follow_login(browser, started.headers["location"], "maija",
                                      stop_prefix=f"{web}/auth/people/callback")
    async with httpx.AsyncClient(timeout=20) as another_browser:  # without the cookie that holds the state
        refused = await another_browser.get(callback)
        assert refused.status_code == 400 and "kokemus_session=deleted" not in refused.headers.get("set-cookie", "")
        assert (await another_browser.get(f"{web}/expert", follow_redirects=False)).headers["location"] == "/sign-in"
    async with httpx.AsyncClient(timeout=20) as browser:
        await browser.get(f"{web}/sign-in/people")
        forged = await browser.get(f"{web}/auth/people/callback?code=x&state=not-the-state")
        assert forged.status_code == 400

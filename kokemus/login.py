"""Signing in at a terminal, as ``gh auth login`` does: the device flow (RFC 8628) against the county's
provider, or the embedded stack's development sign-in. Either way the identity service answers with a session;
the command line keeps it in a file only its user can read and gets a fresh token from it for every command,
so each command runs with exactly that person's rights as they are now.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from nats.aio.client import Client as NATS

from shared.messaging.rpc import request

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "openid email groups"


def session_file() -> Path:
    """Where the command line keeps its session: ``KOKEMUS_CLI_SESSION``, or the user's config folder."""
    configured = os.environ.get("KOKEMUS_CLI_SESSION")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "kokemus" / "session.json"


@dataclass
class StoredSession:
    session: str
    act_as: dict[str, Any]

    def save(self, path: Path | None = None) -> Path:
        path = path or session_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created readable by its owner only: the secret signs its holder in.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"session": self.session, "act_as": self.act_as}, file)
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> StoredSession | None:
        path = path or session_file()
        try:
            data = json.loads(path.read_text())
            return cls(data["session"], data.get("act_as") or {})
        except (OSError, ValueError, KeyError):
            return None


async def device_id_token(issuer: str, client_id: str, show: Callable[[str, str], None],
                          patience: float = 600.0) -> str:
    """Ask the provider for a device code, show the address and code to the person, and wait while they sign
    in in a browser; return the provider's ID token."""
    # Imported here: Authlib's httpx client warns of its own deprecation on import, on every command otherwise.
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    async with httpx.AsyncClient(timeout=10) as http:
        metadata = (await http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")).json()
    async with AsyncOAuth2Client(client_id, token_endpoint_auth_method="none") as client:
        started = await client.request("POST", metadata["device_authorization_endpoint"], withhold_token=True,
                                       data={"client_id": client_id, "scope": SCOPE})
        device = started.json()
        show(device.get("verification_uri_complete") or device["verification_uri"], device["user_code"])
        interval = float(device.get("interval", 5))
        deadline = time.monotonic() + min(patience, float(device.get("expires_in", patience)))
        while time.monotonic() < deadline:
            try:
                token = await client.fetch_token(metadata["token_endpoint"], grant_type=DEVICE_GRANT,
                                                 device_code=device["device_code"])
                return str(token["id_token"])
            except OAuthError as error:
                if error.error == "slow_down":
                    interval += 5
                elif error.error != "authorization_pending":
                    raise
            await asyncio.sleep(interval)
    raise TimeoutError("nobody signed in with the code in time")


async def sign_in(nc: NATS, provider: str, id_token: str, act_as: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await request(nc, "kokemus.identity.cmd.sign_in",
                                           {"provider": provider, "id_token": id_token, "act_as": act_as})
    return result


async def development_sign_in(nc: NATS, *, email: str | None = None, staff_role: str | None = None,
                              act_as: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"act_as": act_as or {}}
    if email:
        body["email"] = email
    if staff_role:
        body["staff_role"] = staff_role
    result: dict[str, Any] = await request(nc, "kokemus.identity.cmd.development_sign_in", body)
    return result


async def fresh_token(nc: NATS, stored: StoredSession) -> str:
    """A token for the stored session, in the role it was signed in with, made from the records as they are."""
    answer = await request(nc, "kokemus.identity.query.token", {"session": stored.session, "act_as": stored.act_as})
    return str(answer["token"])

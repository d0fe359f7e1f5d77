"""Who calls, in tests: a signing key of the test session (its public half is what the services under test
verify with), tokens for any actor, and a request helper that sends a request as the actor its body names.

A test says who calls the way it reads best, ``{"actor": ORDERER, "order_id": …}``; :func:`request` takes the
actor out of the body and sends it as the signed identity the identity service would have issued.
"""

from __future__ import annotations

import json
from typing import Any

from nats.aio.client import Client as NATS

from shared.events import Actor
from shared.identity import Capacity, TokenIssuer, generate_signing_key, public_keys, publish
from shared.messaging import rpc

SIGNING_KEY = generate_signing_key()
ISSUER = TokenIssuer(SIGNING_KEY)
JWKS = json.dumps(publish(SIGNING_KEY))
PRIVATE_JWK = json.dumps(SIGNING_KEY.as_dict(private=True))  # for the identity service under test
AUDIT_KEY = generate_signing_key()  # the audit under test signs its checkpoints with it
AUDIT_PRIVATE_JWK = json.dumps(AUDIT_KEY.as_dict(private=True))
AUDIT_KEYS = public_keys(json.dumps(publish(AUDIT_KEY)))  # what `kokemus audit verify` checks them with


def token_for(actor: Actor | dict[str, Any], *, development: bool = False) -> str:
    capacity = Capacity.model_validate(actor.model_dump() if isinstance(actor, Actor) else actor)
    token, _ = ISSUER.issue(f"test:{capacity.role}:{capacity.id}", capacity, [capacity], development=development)
    return token


async def request(nc: NATS, subject: str, body: dict[str, Any], timeout: float = 10.0) -> Any:
    """Send ``body`` as the actor it names (without the actor in it), signed as the identity service would."""
    payload = dict(body)
    actor = payload.pop("actor", None)
    token = token_for(actor) if actor is not None else None
    return await rpc.request(nc, subject, payload, token=token, timeout=timeout)


class ActingAs:
    """The command line's caller for tests: asks as ``actor``, with a token made for each request."""

    def __init__(self, nc: NATS, actor: dict[str, Any]) -> None:
        self.nc = nc
        self.actor = actor

    async def ask(self, subject: str, body: dict[str, Any], *, timeout: float = 10.0) -> Any:
        return await rpc.request(self.nc, subject, body, token=token_for(self.actor), timeout=timeout)

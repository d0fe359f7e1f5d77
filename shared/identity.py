"""Who is calling: the short-lived signed identity every request carries, how it is made, and how it is checked.

A person signs in at the identity service (through the county's OpenID Connect providers, or the development
sign-in of the embedded stack). It answers with a token: a JWS signed with Ed25519 (EdDSA, RFC 8037) whose
claims name the person (``sub``), every capacity the system's own records give them (``acts``: expert so-and-so,
contact person of that organization, orderer, coordinator, auditor), and the one capacity this token acts in
(``act``). Tokens live for a minute or so; the client gets a fresh one with its session, and each fresh one is
made from the records as they are then, so a role taken away stops working within that time.

Every service checks the token against the published public keys (``KOKEMUS_IDENTITY_JWKS``) and takes the
caller from ``act``; whatever a request body says about its caller is not read. A missing, expired, wrongly
signed or wrongly addressed token is refused with ``unauthenticated``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import Unauthenticated
from shared.events import Actor, Role

ALGORITHM = "Ed25519"  # EdDSA over Ed25519, by its RFC 9864 name
ISSUER = "kokemus-identity"
AUDIENCE = "kokemus"
LEEWAY_SECONDS = 5  # clocks of two pods may differ by this much


class Capacity(BaseModel):
    """One role a person has in the system's records: which record, in which role, for which organization."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    id: str = Field(min_length=1, max_length=200)
    organization_id: str | None = Field(None, max_length=200)

    def as_actor(self) -> Actor:
        return Actor(id=self.id, role=self.role, organization_id=self.organization_id)

    def label(self) -> str:
        return self.role.value + (f" of {self.organization_id}" if self.organization_id else "")


class Claims(BaseModel):
    """What a token says, once its signature, issuer, audience and time have been checked."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    iss: str
    aud: str
    sub: str
    iat: int
    exp: int
    jti: str
    act: Capacity
    acts: list[Capacity]
    sid: str | None = None  # the session it was issued from (its reference, not its secret)
    dev: bool = False  # issued by the development sign-in


def generate_signing_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", auto_kid=True)


def signing_key(source: str) -> OKPKey:
    """The private signing key (a JWK) from a file or the JSON itself."""
    key = OKPKey.import_key(json_or_file(source))
    if not key.is_private:
        raise ValueError("the identity signing key must be a private JWK (with its 'd')")
    return key


def public_keys(source: str) -> KeySet:
    """The published public keys (a JWK set) from a file or the JSON itself."""
    keys = KeySet.import_key_set(json_or_file(source))
    if any(key.is_private for key in keys):
        raise ValueError("the published key set holds a private key: publish only the public halves")
    return keys


def publish(*keys: OKPKey) -> dict[str, Any]:
    """The public JWK set of ``keys``: what services and other systems verify tokens with."""
    published: dict[str, Any] = dict(KeySet(list(keys)).as_dict(private=False))
    return published


def json_or_file(source: str) -> Any:
    text = source if source.lstrip().startswith("{") else Path(source).read_text()
    return json.loads(text)


class TokenIssuer:
    """Makes tokens; only the identity service holds the key (and tests, their own)."""

    def __init__(self, key: OKPKey, lifetime: dt.timedelta = dt.timedelta(seconds=60),
                 issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.key = key
        self.lifetime = lifetime
        self.issuer = issuer
        self.audience = audience

    def issue(self, subject: str, act: Capacity, acts: list[Capacity], *, session: str | None = None,
              development: bool = False, now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
        """A token acting as ``act``, which must be one of ``acts``; and when it expires."""
        if act not in acts:
            raise ValueError(f"{act.label()} is not one of the person's capacities")
        issued = now or dt.datetime.now(dt.UTC)
        expires = issued + self.lifetime
        claims = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": int(issued.timestamp()),
                  "exp": int(expires.timestamp()), "jti": uuid.uuid4().hex, "act": act.model_dump(mode="json"),
                  "acts": [capacity.model_dump(mode="json") for capacity in acts], "sid": session,
                  "dev": development}
        header = {"alg": ALGORITHM, "kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.key, algorithms=[ALGORITHM]), expires


class TokenVerifier:
    """Checks tokens against the published keys; every service has one."""

    def __init__(self, keys: KeySet, *, audience: str = AUDIENCE, issuer: str = ISSUER,
                 accept_development: bool = False) -> None:
        self.keys = keys
        self.accept_development = accept_development
        self._registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS, iss={"essential": True, "value": issuer}, aud={"essential": True, "value": audience},
            exp={"essential": True}, iat={"essential": True}, sub={"essential": True})

    def verify(self, token: str | None) -> Claims:
        if not token:
            raise Unauthenticated("no identity: sign in, and send the token as 'Authorization: Bearer <token>'")
        try:
            decoded = jwt.decode(token.removeprefix("Bearer ").strip(), self.keys, algorithms=[ALGORITHM])
            self._registry.validate(decoded.claims)
            claims = Claims.model_validate(decoded.claims)
        except JoseError as error:
            raise Unauthenticated(f"the identity was refused: {_reason(error)}") from None
        except (ValidationError, ValueError):
            raise Unauthenticated("the identity was refused: it is not a kokemus identity token") from None
        if claims.dev and not self.accept_development:
            raise Unauthenticated("the identity was refused: a development sign-in is not accepted here")
        if claims.act not in claims.acts:
            raise Unauthenticated("the identity was refused: it acts in a capacity the person does not have")
        return claims

    def actor(self, token: str | None) -> Actor:
        return self.verify(token).act.as_actor()


def _reason(error: JoseError) -> str:
    claim = getattr(error, "claim", None)
    if claim in ("iss", "aud"):
        return "it is not meant for this system (issuer or audience)"
    if claim == "iat":
        return "it was issued in the future (check the clocks)"
    reasons = {"expired_token": "it has expired: get a fresh one with your session",
               "bad_signature": "its signature does not verify",
               "invalid_key_id": "it was not signed with a published key"}
    return reasons.get(error.error, error.description or error.error.replace("_", " "))

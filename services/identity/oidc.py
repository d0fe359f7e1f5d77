"""The county's OpenID Connect providers, as the identity service trusts them: their ID tokens, checked.

Two providers may be configured: ``staff`` (the county's own, whose group claim makes coordinators and
auditors) and ``people`` (whichever the county chose for experts, contact persons and orderers). A provider's
discovery document and keys are fetched over HTTPS (HTTP only for a provider on loopback, as in tests) and
kept; an unknown key id fetches the keys again, so a provider's key rotation needs nothing here.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from shared.errors import Unauthenticated, Unavailable
from shared.events import Role

LEEWAY_SECONDS = 30
REFETCH_SECONDS = 10  # an unknown key id fetches the keys again, at most this often


@dataclass(frozen=True)
class Person:
    """Who the provider vouches for."""

    provider: str
    subject: str
    email: str
    staff_roles: list[Role]

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.subject}"


def email_subject(email: str) -> str:
    """The development sign-in's subject for an address: a digest of it, the same for the same address."""
    return "email-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class Providers(Protocol):
    async def verify(self, provider: str, id_token: str) -> Person:
        """The person an ID token of ``provider`` names, or :class:`Unauthenticated`."""
        ...


@dataclass
class Provider:
    name: str
    issuer: str
    audiences: list[str]  # the client ids whose ID tokens are accepted (the web's and the command line's)
    role_groups: dict[str, Role] = field(default_factory=dict)  # group -> staff role (the staff provider only)
    groups_claim: str = "groups"
    _metadata: dict[str, Any] | None = None
    _keys: KeySet | None = None
    _keys_fetched: float = 0.0

    async def verify(self, http: httpx.AsyncClient, id_token: str) -> Person:
        claims = await self._decode(http, id_token)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS, iss={"essential": True, "value": self.issuer}, exp={"essential": True},
            iat={"essential": True}, sub={"essential": True}, aud={"essential": True, "values": self.audiences},
        ).validate(claims)
        email = claims.get("email")
        if not email or claims.get("email_verified") is not True:
            raise Unauthenticated(f"the {self.name} provider did not vouch for an e-mail address: kokemus finds "
                                  "people by the verified address they sign in with")
        groups = claims.get(self.groups_claim) or []
        roles = sorted({role for group, role in self.role_groups.items() if group in groups})
        return Person(self.name, str(claims["sub"]), str(email), roles)

    async def _decode(self, http: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
        metadata = await self._discover(http)
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        keys = await self._signing_keys(http, refresh=False)
        try:
            return dict(jwt.decode(id_token, keys, algorithms=algorithms).claims)
        except InvalidKeyIdError:
            if time.monotonic() - self._keys_fetched < REFETCH_SECONDS:
                raise
        keys = await self._signing_keys(http, refresh=True)  # the provider may have rotated its keys
        return dict(jwt.decode(id_token, keys, algorithms=algorithms).claims)

    async def _discover(self, http: httpx.AsyncClient) -> dict[str, Any]:
        if self._metadata is None:
            self._metadata = await _get_json(http, self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if self._metadata.get("issuer") != self.issuer:
                raise Unavailable(f"the {self.name} provider's discovery document names another issuer")
        return self._metadata

    async def _signing_keys(self, http: httpx.AsyncClient, refresh: bool) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self._discover(http)
            self._keys = KeySet.import_key_set(await _get_json(http, metadata["jwks_uri"]))  # type: ignore[arg-type]
            self._keys_fetched = time.monotonic()
        return self._keys


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise Unavailable(f"an identity provider is reached over HTTPS only (got {url})")
    try:
        response = await http.get(url, timeout=10)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise Unavailable(f"the identity provider does not answer at {url}: {error}") from None
    return document


class ConfiguredProviders:
    """The providers the settings name; a sign-in through one that is not configured is refused."""

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = {provider.name: provider for provider in providers}
        self.http = httpx.AsyncClient()

    async def verify(self, provider: str, id_token: str) -> Person:
        found = self.providers.get(provider)
        if found is None:
            configured = ", ".join(self.providers) or "none"
            raise Unauthenticated(f"no {provider} identity provider is configured here (configured: {configured})")
        try:
            return await found.verify(self.http, id_token)
        except JoseError as error:
            raise Unauthenticated(f"the {provider} provider's ID token was refused: {error.error}") from None


class InMemoryProviders:
    """For unit tests: ID tokens are names of the people the test set up."""

    def __init__(self) -> None:
        self.people: dict[tuple[str, str], Person] = {}

    async def verify(self, provider: str, id_token: str) -> Person:
        found = self.people.get((provider, id_token))
        if found is None:
            raise Unauthenticated(f"the {provider} provider's ID token was refused: invalid_token")
        return found

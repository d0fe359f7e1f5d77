"""The web's only way to the data: commands and queries over NATS, each sent with the person's own signed
identity. The identity service's session secret (kept sealed in the person's cookie) buys a fresh ~60 s token;
the web keeps each token in memory until shortly before it runs out, so a page of five queries asks once."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from shared.messaging.rpc import RemoteError

# (subject, body, token) -> the result, or RemoteError: NATS in the running web, a fake in unit tests.
Transport = Callable[[str, dict[str, Any], "str | None"], Awaitable[Any]]
RENEW_BEFORE_SECONDS = 10


@dataclass(frozen=True)
class Capacity:
    role: str
    id: str
    organization_id: str | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Capacity:
        return cls(data["role"], data["id"], data.get("organization_id"))

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "id": self.id, "organization_id": self.organization_id}


@dataclass(frozen=True)
class Person:
    """Who is signed in, acting as which of their capacities, with a token for the next requests."""

    token: str
    act: Capacity
    acts: tuple[Capacity, ...]
    development: bool = False


@dataclass
class Backend:
    transport: Transport
    # (digest of the session, capacity asked for) -> (monotonic time to renew at, the person with their token)
    _tokens: dict[tuple[str, str], tuple[float, Person]] = field(default_factory=dict)

    async def ask(self, person: Person, subject: str, body: dict[str, Any]) -> Any:
        return await self.transport(subject, body, person.token)

    async def sign_in(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """``sign_in`` or ``development_sign_in`` of the identity service: the answer has the session."""
        answer: dict[str, Any] = await self.transport(f"kokemus.identity.cmd.{name}", body, None)
        return answer

    async def person(self, session: str, act: dict[str, Any] | None) -> Person:
        """The person of the session acting as ``act`` (or as their first capacity), with a fresh token."""
        key = (_digest(session), repr(sorted((act or {}).items())))
        cached = self._tokens.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            answer = await self._token(session, act or {})
        except RemoteError as error:
            if error.code != "validation" or not act:
                raise
            answer = await self._token(session, {})  # the capacity was taken away: act in another one
        person = Person(answer["token"], Capacity.of(answer["act"]), tuple(Capacity.of(a) for a in answer["acts"]))
        expires = dt.datetime.fromisoformat(answer["expires_at"])
        lifetime = (expires - dt.datetime.now(dt.UTC)).total_seconds() - RENEW_BEFORE_SECONDS
        self._forget_expired()
        if lifetime > 0:
            self._tokens[key] = (time.monotonic() + lifetime, person)
        return person

    async def _token(self, session: str, act: dict[str, Any]) -> dict[str, Any]:
        wanted = {name: value for name, value in act.items() if value is not None}
        answer: dict[str, Any] = await self.transport("kokemus.identity.query.token",
                                                      {"session": session, "act_as": wanted}, None)
        return answer

    async def sign_out(self, session: str, everywhere: bool) -> None:
        await self.transport("kokemus.identity.cmd.sign_out", {"session": session, "everywhere": everywhere}, None)
        if everywhere:
            # The person's other sessions are unknown here by their secrets: forget every cached token, so
            # none of theirs outlives the sign-out in this process (the others simply ask again).
            self._tokens.clear()
        for key in [k for k in self._tokens if k[0] == _digest(session)]:
            del self._tokens[key]

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, (until, _) in self._tokens.items() if until <= now]:
            del self._tokens[key]


def _digest(session: str) -> str:
    return hashlib.sha256(session.encode()).hexdigest()

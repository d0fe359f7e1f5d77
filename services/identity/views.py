"""What the identity service reads besides its streams: the port, and its in-memory fake for unit tests.
:mod:`services.identity.projections` keeps the same view in PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.identity import events as ev
from shared.envelope import Envelope
from shared.projection import Projection


class IdentityViews(Protocol):
    async def project(self, event: Envelope[Any], connection: Any) -> None: ...

    async def open_sessions(self, person: str, now: dt.datetime) -> list[str]:
        """The references of the person's sessions that have neither ended nor expired, oldest first."""
        ...


@dataclass
class InMemoryIdentityViews(Projection):
    sessions: dict[str, tuple[str, dt.datetime, dt.datetime]] = field(
        default_factory=dict
    )  # ref -> person, begun, ends

    async def on_SignedIn(self, e: ev.SignedIn, connection: Any, event: Envelope[Any]) -> None:
        self.sessions[e.session_ref] = (e.person, event.recorded_at, e.expires_at)

    async def on_SignedOut(self, e: ev.SignedOut, connection: Any, event: Envelope[Any]) -> None:
        self.sessions.pop(e.session_ref, None)

    async def open_sessions(self, person: str, now: dt.datetime) -> list[str]:
        found = sorted((begun, ref) for ref, (owner, begun, ends) in self.sessions.items()
                       if owner == person and now < ends)
        return [ref for _, ref in found]

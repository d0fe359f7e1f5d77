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

    async def people_of(self, record_id: str) -> list[str]:
        """The people (provider and subject) who signed in holding the registry's record."""
        ...

    async def sign_ins_of(self, person: str) -> list[str]:
        """The references of every session the person began that the view knows of, ended or not."""
        ...

    async def sign_ins_as(self, record_id: str) -> list[dict[str, Any]]:
        """Each sign-in holding the record, oldest first: provider, begun_at, ends_at, ended_at."""
        ...


@dataclass
class InMemoryIdentityViews(Projection):
    sessions: dict[str, tuple[str, dt.datetime, dt.datetime]] = field(
        default_factory=dict
    )  # ref -> person, begun, ends
    sign_ins: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (record, ref) -> row

    async def on_SignedIn(self, e: ev.SignedIn, connection: Any, event: Envelope[Any]) -> None:
        self.sessions[e.session_ref] = (e.person, event.recorded_at, e.expires_at)
        for record in e.records:
            self.sign_ins[(record, e.session_ref)] = {"person": e.person, "provider": e.provider,
                                                      "begun_at": event.recorded_at, "ends_at": e.expires_at,
                                                      "ended_at": None}

    async def on_SignedOut(self, e: ev.SignedOut, connection: Any, event: Envelope[Any]) -> None:
        self.sessions.pop(e.session_ref, None)
        for (_, ref), row in self.sign_ins.items():
            if ref == e.session_ref:
                row["ended_at"] = event.recorded_at

    async def on_SignInsErased(self, e: ev.SignInsErased, connection: Any, event: Envelope[Any]) -> None:
        self.sessions = {ref: held for ref, held in self.sessions.items() if held[0] != e.person}
        self.sign_ins = {key: row for key, row in self.sign_ins.items() if row["person"] != e.person}

    async def open_sessions(self, person: str, now: dt.datetime) -> list[str]:
        found = sorted((begun, ref) for ref, (owner, begun, ends) in self.sessions.items()
                       if owner == person and now < ends)
        return [ref for _, ref in found]

    async def people_of(self, record_id: str) -> list[str]:
        return sorted({row["person"] for (record, _), row in self.sign_ins.items() if record == record_id})

    async def sign_ins_of(self, person: str) -> list[str]:
        return sorted({ref for (_, ref), row in self.sign_ins.items() if row["person"] == person}
                      | {ref for ref, held in self.sessions.items() if held[0] == person})

    async def sign_ins_as(self, record_id: str) -> list[dict[str, Any]]:
        rows = sorted(((row["begun_at"], ref), row) for (record, ref), row in self.sign_ins.items()
                      if record == record_id)
        return [{k: v for k, v in row.items() if k != "person"} for _, row in rows]

"""The identity service's view in PostgreSQL (schema.sql): the open sessions of each person, kept from its
own events; it implements :class:`services.identity.views.IdentityViews`."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from services.identity import events as ev
from shared.envelope import Envelope
from shared.projection import PostgresViews

SQL = resources.files("services.identity").joinpath("schema.sql").read_text()


class IdentityTables(PostgresViews):
    async def on_SignedIn(self, e: ev.SignedIn, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.sessions (session_ref, person, begun_at, ends_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (session_ref) DO NOTHING""",
            e.session_ref, e.person, event.recorded_at, e.expires_at,
        )

    async def on_SignedOut(self, e: ev.SignedOut, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.sessions WHERE session_ref = $1", e.session_ref)

    async def open_sessions(self, person: str, now: dt.datetime) -> list[str]:
        rows = await self.db.fetch(
            f"""SELECT session_ref FROM {self.schema}.sessions WHERE person = $1 AND ends_at > $2
                ORDER BY begun_at, session_ref""",
            person, now,
        )
        return [row["session_ref"] for row in rows]

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
        await conn.executemany(
            f"""INSERT INTO {self.schema}.sign_ins (record_id, session_ref, person, provider, begun_at, ends_at)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
            [(record, e.session_ref, e.person, e.provider, event.recorded_at, e.expires_at) for record in e.records],
        )

    async def on_SignedOut(self, e: ev.SignedOut, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.sessions WHERE session_ref = $1", e.session_ref)
        await conn.execute(f"UPDATE {self.schema}.sign_ins SET ended_at = $2 WHERE session_ref = $1",
                           e.session_ref, event.recorded_at)

    async def on_SignInsErased(self, e: ev.SignInsErased, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.sessions WHERE person = $1", e.person)
        await conn.execute(f"DELETE FROM {self.schema}.sign_ins WHERE person = $1", e.person)

    async def open_sessions(self, person: str, now: dt.datetime) -> list[str]:
        rows = await self.db.fetch(
            f"""SELECT session_ref FROM {self.schema}.sessions WHERE person = $1 AND ends_at > $2
                ORDER BY begun_at, session_ref""",
            person, now,
        )
        return [row["session_ref"] for row in rows]

    async def people_of(self, record_id: str) -> list[str]:
        rows = await self.db.fetch(
            f"SELECT DISTINCT person FROM {self.schema}.sign_ins WHERE record_id = $1 ORDER BY person", record_id)
        return [row["person"] for row in rows]

    async def sign_ins_of(self, person: str) -> list[str]:
        rows = await self.db.fetch(
            f"""SELECT DISTINCT session_ref FROM {self.schema}.sign_ins WHERE person = $1
                UNION SELECT session_ref FROM {self.schema}.sessions WHERE person = $1 ORDER BY 1""", person)
        return [row["session_ref"] for row in rows]

    async def sign_ins_as(self, record_id: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"""SELECT provider, begun_at, ends_at, ended_at FROM {self.schema}.sign_ins WHERE record_id = $1
                ORDER BY begun_at, session_ref""", record_id)
        return [dict(row) for row in rows]

"""The audit's tables in PostgreSQL (schema.sql): the copies of the sources' events, the engagements, and
which event is in which trail, kept inside the consuming transaction. They implement
:class:`services.audit.views.AuditTables`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from typing import Any

import asyncpg
from pydantic import ValidationError

from services.audit.domain import Engagement, SourceEvent
from services.audit.views import Head
from shared.envelope import Envelope, Published
from shared.eventstore.port import ChainBreak
from shared.projection import PostgresViews

SQL = resources.files("services.audit").joinpath("schema.sql").read_text()


class PostgresAuditTables(PostgresViews):
    async def lock(self, keys: Iterable[str], connection: asyncpg.Connection) -> None:
        # One at a time in sorted order, so two transactions wanting overlapping keys cannot deadlock.
        for key in sorted(set(keys)):
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"kokemus-{self.schema}:{key}"
            )

    async def project(self, event: Envelope[Any], connection: Any) -> None:
        return None  # no views of its own events: the trails are read from their streams

    async def keep(self, source: SourceEvent, connection: asyncpg.Connection) -> bool:
        e = source.envelope
        return bool(await connection.fetchval(
            f"""INSERT INTO {self.schema}.source_events (service, event_id, stream_id, version, event_type,
                    recorded_at, engagement_id, order_id, expert_id, causation_id, actor, trace_id, prev_hash,
                    hash, envelope)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15::jsonb)
                ON CONFLICT (event_id) DO NOTHING RETURNING true""",
            e.service, e.event_id, e.stream_id, e.version, e.event_type, e.recorded_at, source.engagement_id,
            source.order_id, source.expert_id, e.causation_id, e.actor.model_dump_json(), e.trace_id, e.prev_hash,
            e.hash, e.model_dump_json(),
        ))

    async def add_engagement(self, engagement: Engagement, opened_event_id: uuid.UUID,
                             connection: asyncpg.Connection) -> None:
        await connection.execute(
            f"""INSERT INTO {self.schema}.engagements (engagement_id, order_id, expert_id, opened_event_id)
                VALUES ($1, $2, $3, $4) ON CONFLICT (engagement_id) DO NOTHING""",
            engagement.engagement_id, engagement.order_id, engagement.expert_id, opened_event_id,
        )

    async def engagements_near(self, source: SourceEvent, connection: asyncpg.Connection) -> list[Engagement]:
        rows = await connection.fetch(
            f"""SELECT engagement_id, order_id, expert_id FROM {self.schema}.engagements
                WHERE engagement_id = $1 OR order_id = $2 OR expert_id = $3""",
            source.engagement_id, source.order_id, source.expert_id,
        )
        return [Engagement(row["engagement_id"], row["order_id"], row["expert_id"]) for row in rows]

    async def events_near(self, engagement: Engagement, connection: asyncpg.Connection) -> list[SourceEvent]:
        rows = await connection.fetch(
            f"""SELECT envelope FROM {self.schema}.source_events
                WHERE engagement_id = $1 OR order_id = $2 OR expert_id = $3""",
            engagement.engagement_id, engagement.order_id, engagement.expert_id,
        )
        return [SourceEvent.of(Published.model_validate_json(row["envelope"])) for row in rows]

    async def claim_links(self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID],
                          connection: asyncpg.Connection) -> set[uuid.UUID]:
        rows = await connection.fetch(
            f"""INSERT INTO {self.schema}.trail_links (engagement_id, source_event_id)
                SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING source_event_id""",
            engagement_id, event_ids,
        )
        return {row["source_event_id"] for row in rows}

    async def copies(self, service: str) -> AsyncIterator[Published | ChainBreak]:
        async with self.db.acquire() as conn, conn.transaction(readonly=True):
            cursor = conn.cursor(
                f"""SELECT stream_id, version, event_id, envelope FROM {self.schema}.source_events
                    WHERE service = $1 ORDER BY stream_id, version""",
                service, prefetch=2000,
            )
            async for row in cursor:
                try:
                    yield Published.model_validate_json(row["envelope"])
                except ValidationError as error:  # a copy changed by hand: a break to report, not a crash
                    yield ChainBreak(row["stream_id"], row["version"], str(row["event_id"]), None,
                                     f"the copy is malformed ({error.error_count()} problem(s))")

    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        pool = self.db
        by_service = await pool.fetch(
            f"SELECT service, count(*) AS n FROM {self.schema}.source_events GROUP BY service ORDER BY service"
        )
        entries = await pool.fetchval(
            f"SELECT count(*) FROM {self.schema}.trail_links WHERE $1::uuid IS NULL OR engagement_id = $1",
            engagement_id,
        )
        engagements = await pool.fetchval(
            f"""SELECT count(DISTINCT engagement_id) FROM {self.schema}.trail_links
                WHERE $1::uuid IS NULL OR engagement_id = $1""",
            engagement_id,
        )
        return {"source_events": {row["service"]: row["n"] for row in by_service},
                "trail_entries": entries, "engagements": engagements}

    async def copy_heads(self, service: str) -> dict[str, Head]:
        rows = await self.db.fetch(
            f"""SELECT DISTINCT ON (stream_id) stream_id, version, hash, prev_hash, envelope->>'position' AS position
                FROM {self.schema}.source_events WHERE service = $1 ORDER BY stream_id, version DESC""",
            service,
        )
        return {row["stream_id"]: Head(row["version"], bytes(row["hash"]).hex(), bytes(row["prev_hash"]).hex(),
                                       int(row["position"] or 0)) for row in rows}

    async def keep_checkpoint(self, checkpoint_id: uuid.UUID, heads: dict[str, dict[str, Head]],
                              connection: Any) -> None:
        await connection.executemany(
            f"""INSERT INTO {self.schema}.checkpoint_heads (checkpoint_id, service, stream_id, version, hash)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            [(checkpoint_id, service, stream, head.version, head.hash)
             for service, by_stream in heads.items() for stream, head in by_stream.items()],
        )

    async def checkpoint_heads(self, checkpoint_id: uuid.UUID, service: str) -> dict[str, Head]:
        rows = await self.db.fetch(
            f"""SELECT stream_id, version, hash FROM {self.schema}.checkpoint_heads
                WHERE checkpoint_id = $1 AND service = $2""", checkpoint_id, service)
        return {row["stream_id"]: Head(row["version"], row["hash"]) for row in rows}

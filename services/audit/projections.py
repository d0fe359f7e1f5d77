"""The audit's tables: the copies of the sources' events, the engagements, and which event is in which trail.

:class:`AuditTables` is the port the handlers use; :class:`PostgresAuditTables` keeps them in the service's
schema, inside the consuming transaction, and ``services.audit.memory`` is its twin for unit tests.
"""

from __future__ import annotations

import abc
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from typing import Any

import asyncpg

from services.audit.domain import Engagement, SourceEvent

SQL = resources.files("services.audit").joinpath("schema.sql").read_text()


class AuditTables(abc.ABC):
    """Where the audit keeps what it received. Every method that changes something takes the transaction's
    connection, so its effect commits with the consumer's "processed" record or not at all."""

    @abc.abstractmethod
    async def lock(self, keys: Iterable[str], connection: Any) -> None:
        """Hold ``keys`` until the transaction ends; waits for whoever holds one of them."""

    @abc.abstractmethod
    async def keep(self, source: SourceEvent, connection: Any) -> bool:
        """Keep the event's envelope; False when it was kept before."""

    @abc.abstractmethod
    async def add_engagement(self, engagement: Engagement, opened_event_id: uuid.UUID, connection: Any) -> None:
        """Remember an opened engagement (once)."""

    @abc.abstractmethod
    async def engagements_near(self, source: SourceEvent, connection: Any) -> list[Engagement]:
        """Known engagements sharing the event's engagement, order or expert: those it may concern."""

    @abc.abstractmethod
    async def events_near(self, engagement: Engagement, connection: Any) -> list[SourceEvent]:
        """Kept events sharing the engagement's id, order or expert: those that may concern it."""

    @abc.abstractmethod
    async def claim_links(self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID], connection: Any) -> set[uuid.UUID]:
        """Mark the events as linked into the engagement's trail; return those not linked before."""

    @abc.abstractmethod
    def copies(self, service: str) -> AsyncIterator[dict[str, Any]]:
        """The kept envelopes of one service, ordered by stream and version."""

    @abc.abstractmethod
    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        """How many events were kept per service, and how many trail entries (of one engagement, or all)."""


class PostgresAuditTables(AuditTables):
    def __init__(self, pool: asyncpg.Pool | None, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def lock(self, keys: Iterable[str], connection: asyncpg.Connection) -> None:
        # One at a time in sorted order, so two transactions wanting overlapping keys cannot deadlock.
        for key in sorted(set(keys)):
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"kokemus-{self.schema}:{key}"
            )

    async def keep(self, source: SourceEvent, connection: asyncpg.Connection) -> bool:
        return bool(await connection.fetchval(
            f"""INSERT INTO {self.schema}.source_events (service, event_id, stream_id, version, event_type,
                    recorded_at, engagement_id, order_id, expert_id, causation_id, actor, trace_id, prev_hash,
                    hash, envelope)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15::jsonb)
                ON CONFLICT (event_id) DO NOTHING RETURNING true""",
            source.service, source.event_id, source.stream_id, source.version, source.event_type,
            source.recorded_at, source.engagement_id, source.order_id, source.expert_id, source.causation_id,
            json.dumps(source.actor), source.trace_id, source.prev_hash, source.hash, json.dumps(source.envelope),
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
        return [SourceEvent.from_envelope(json.loads(row["envelope"])) for row in rows]

    async def claim_links(self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID],
                          connection: asyncpg.Connection) -> set[uuid.UUID]:
        rows = await connection.fetch(
            f"""INSERT INTO {self.schema}.trail_links (engagement_id, source_event_id)
                SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING source_event_id""",
            engagement_id, event_ids,
        )
        return {row["source_event_id"] for row in rows}

    async def copies(self, service: str) -> AsyncIterator[dict[str, Any]]:
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):  # type: ignore[union-attr]
            cursor = conn.cursor(
                f"SELECT envelope FROM {self.schema}.source_events WHERE service = $1 ORDER BY stream_id, version",
                service, prefetch=2000,
            )
            async for row in cursor:
                yield json.loads(row["envelope"])

    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        pool = self.pool
        by_service = await pool.fetch(  # type: ignore[union-attr]
            f"SELECT service, count(*) AS n FROM {self.schema}.source_events GROUP BY service ORDER BY service"
        )
        entries = await pool.fetchval(  # type: ignore[union-attr]
            f"SELECT count(*) FROM {self.schema}.trail_links WHERE $1::uuid IS NULL OR engagement_id = $1",
            engagement_id,
        )
        engagements = await pool.fetchval(  # type: ignore[union-attr]
            f"SELECT count(DISTINCT engagement_id) FROM {self.schema}.trail_links WHERE $1::uuid IS NULL OR engagement_id = $1",
            engagement_id,
        )
        return {"source_events": {row["service"]: row["n"] for row in by_service},
                "trail_entries": entries, "engagements": engagements}

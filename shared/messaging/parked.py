"""Events the relay set aside because the bus kept refusing them (too large for it, not permitted): the relay
never stops for one event. A parked event stays in the event table, so nothing is lost; it is listed on
``/readyz``, in the metrics and by ``kokemus relay parked SERVICE``, and published again with ``kokemus relay
republish SERVICE EVENT_ID`` once its cause is mended (a larger ``max_payload``, a permission). Consumers take
it then like any late event: idempotently, retrying what depends on it.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any

import asyncpg
from prometheus_client import Gauge

from shared.envelope import Published
from shared.eventstore.postgres import PostgresEventStore

log = logging.getLogger(__name__)

PARKED = Gauge("kokemus_relay_parked_events", "Events the relay set aside, waiting to be published again", ["service"])


class ParkedEvents:
    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.waiting = 0  # as last counted: readiness reads it without a query

    async def park(self, conn: asyncpg.Connection, envelope: Published, error: Exception) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()[:1000]
        await conn.execute(
            f"""INSERT INTO {self.store.schema}.relay_parked (event_id, stream_id, version, event_type, error)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING""",
            envelope.event_id, envelope.stream_id, envelope.version, envelope.event_type, detail,
        )
        log.error("relay of %s parked event %s (%s v%d): the bus refused it %s; publish it again with "
                  "`kokemus relay republish %s %s` once that is mended", self.store.service, envelope.event_id,
                  envelope.stream_id, envelope.version, detail, self.store.service, envelope.event_id)
        await self.count()

    async def count(self) -> int:
        self.waiting = await self.store.pool.fetchval(
            f"SELECT count(*) FROM {self.store.schema}.relay_parked WHERE republished_at IS NULL")
        PARKED.labels(self.store.service).set(self.waiting)
        return self.waiting

    async def listing(self) -> list[dict[str, Any]]:
        rows = await self.store.pool.fetch(
            f"""SELECT event_id, stream_id, version, event_type, error, parked_at, republished_at
                FROM {self.store.schema}.relay_parked ORDER BY parked_at""")
        return [{**dict(row), "event_id": str(row["event_id"]), "parked_at": row["parked_at"].isoformat(),
                 "republished_at": row["republished_at"].isoformat() if row["republished_at"] else None}
                for row in rows]

    async def waiting_event(self, event_id: uuid.UUID) -> Published | None:
        """The parked event as it was to be published, if it still waits."""
        waiting = await self.store.pool.fetchval(
            f"SELECT true FROM {self.store.schema}.relay_parked WHERE event_id = $1 AND republished_at IS NULL",
            event_id)
        return await self.store.published_by_id(event_id) if waiting else None

    async def republished(self, event_id: uuid.UUID) -> None:
        await self.store.pool.execute(
            f"UPDATE {self.store.schema}.relay_parked SET republished_at = now() WHERE event_id = $1", event_id)
        await self.count()

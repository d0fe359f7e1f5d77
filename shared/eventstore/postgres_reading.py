"""Reading and verifying a service's PostgreSQL event table (writing: :mod:`shared.eventstore.postgres`).

The global log is read in (transaction id, position) order and only below a horizon: an event is handed out
only once every transaction that could still commit before it has finished. This is the transaction-id horizon
approach; unlike a table lock it lets concurrent writers commit in parallel.
https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-PG-SNAPSHOT

The horizon is not the whole cluster's oldest open transaction (``pg_snapshot_xmin``): only connections logged
in as the service's own role append to its events (every other service has a role of its own, and the owner
role only migrates), so another service's long transaction need not hold this log back. See :func:`horizon`.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from shared.envelope import Published, RecordedEvent
from shared.events import DomainEvent, EventTypes
from shared.eventstore import codec, rows
from shared.eventstore.crypto import ENCRYPTED
from shared.eventstore.keyring import NO_KEY_RING, KeyRing, read_subject_keys
from shared.eventstore.port import ChainBreak, EventStore, VerifyReport

LogCursor = tuple[int, int]  # (transaction id, position): where a reader of the global log stands
XID_SPACE = 2**32

# Read first, in a statement of its own: the first transaction id not yet assigned, and the transaction ids of
# this role's connections still running after that (their 32-bit form, as pg_stat_activity gives it).
_HORIZON_SQL = """
    SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax,
           array(SELECT backend_xid::text::bigint FROM pg_stat_activity
                 WHERE usename = session_user AND backend_xid IS NOT NULL) AS running"""


def horizon(xmax: int, running: Iterable[int]) -> int:
    """The transaction id below which this role's log is complete: the snapshot's ``xmax`` (every id from it
    on was assigned later), or the oldest of the role's transactions that was assigned an id before it and was
    still running when looked at, whichever is lower. ``running`` are 32-bit ids: each is placed in ``xmax``'s
    epoch by its distance behind it; an id at or ahead of ``xmax`` was assigned later and counts no more.

    Why it is safe: the log is then read in a later statement, whose snapshot sees every transaction that ended
    before the role's connections were looked at. An id below ``xmax`` not among ``running`` either ended by then
    or belongs to another role, which cannot append here."""
    low, oldest = xmax % XID_SPACE, xmax
    for xid in running:
        behind = (low - xid) % XID_SPACE
        if 0 < behind < XID_SPACE // 2:
            oldest = min(oldest, xmax - behind)
    return oldest


@dataclass(frozen=True)
class HeadClaim:
    """A stream's last event as held elsewhere: its version and hash, and (from a copy of the event) the link
    it claims and its place in this store's log, which tell a removed event from an injected one."""

    version: int
    hash: bytes
    prev_hash: bytes | None = None
    position: int | None = None


def kernel_schema_sql(schema: str) -> str:
    kernel = resources.files("shared.eventstore").joinpath("schema.sql").read_text()
    return rows.table_sql(schema) + "\n" + kernel.replace("{schema}", schema)


class PostgresEventReader(EventStore):
    """The reading half of :class:`~shared.eventstore.postgres.PostgresEventStore`: streams, the global log in
    commit order, an engagement's events, and the checks of every chain."""

    def __init__(self, pool: asyncpg.Pool, schema: str, service: str | None = None,
                 events: Iterable[type[DomainEvent]] = (), head_cache: int = 10_000,
                 key_ring: KeyRing = NO_KEY_RING) -> None:
        self.pool = pool
        self.key_ring = key_ring
        self.schema = schema
        self.service = service or schema
        self.types = EventTypes(events)
        # The last known head of recently used streams, so that an append need not read it first.
        self._heads: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._head_cache = head_cache
        s = schema
        self._log_sql = f"""
            SELECT {rows.SELECTED} FROM {s}.events
            WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
              AND transaction_id < $4::text::xid8
            ORDER BY transaction_id, position
            LIMIT $3"""
        # Reading after an event named by its position: its transaction id is looked up in the same query.
        self._read_all_sql = f"""
            SELECT {rows.SELECTED} FROM {s}.events
            WHERE (transaction_id, position) > (
                    coalesce((SELECT transaction_id FROM {s}.events WHERE position = $1), '0'::xid8), $1::bigint)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position
            LIMIT $2"""
        # Whether committed events follow the cursor: asked when reading the log after it found nothing, they are
        # held back behind an older transaction still open (or that ended since), so the relay looks again soon.
        self._held_back_sql = f"""
            SELECT EXISTS (SELECT FROM {s}.events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint))"""

    def _remember_head(self, stream_id: str, version: int, hash_: bytes) -> None:
        self._heads[stream_id] = (version, hash_)
        self._heads.move_to_end(stream_id)
        if len(self._heads) > self._head_cache:
            self._heads.popitem(last=False)

    # -- reading ---------------------------------------------------------------------------------------

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, connection: Any = None
    ) -> list[RecordedEvent]:
        sql = f"SELECT {rows.SELECTED} FROM {self.schema}.events WHERE stream_id = $1 AND version > $2 ORDER BY version"
        if connection is None:
            async with self.pool.acquire() as connection:
                events = await self._open_all(connection, await connection.fetch(sql, stream_id, after_version))
        else:
            events = await self._open_all(connection, await connection.fetch(sql, stream_id, after_version))
        if events:
            self._remember_head(stream_id, events[-1].version, events[-1].hash)
        return events

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            return await self._open_all(conn, await conn.fetch(self._read_all_sql, after_position, limit))

    async def read_log(
        self, conn: asyncpg.Connection, after: LogCursor, limit: int
    ) -> list[tuple[LogCursor, Published]]:
        """The global log after ``after`` as published (personal fields still sealed), each with its cursor.
        ``conn`` must not be in a transaction: the horizon needs each statement's own snapshot, and a fresh look at
        the role's connections (pg_stat_activity is read once per transaction)."""
        if conn.is_in_transaction():
            raise RuntimeError("read_log needs a connection outside any transaction (see horizon)")
        bounds = await conn.fetchrow(_HORIZON_SQL)
        records = await conn.fetch(self._log_sql, str(after[0]), after[1], limit,
                                   str(horizon(bounds["xmax"], bounds["running"])))
        return [(rows.log_cursor(record), rows.published(record, self.service)) for record in records]

    async def held_back(self, conn: asyncpg.Connection, after: LogCursor) -> bool:
        """True when committed events follow ``after``. Asked after :meth:`read_log` found nothing there, it
        means they are held back because a transaction of the service's role that began before theirs is still
        open, or was until a moment ago: they are in the log once it has ended."""
        return bool(await conn.fetchval(self._held_back_sql, str(after[0]), after[1]))

    async def read_engagement(self, engagement_id: uuid.UUID) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            records = await conn.fetch(
                f"""SELECT {rows.SELECTED} FROM {self.schema}.events WHERE engagement_id = $1
                    ORDER BY transaction_id, position""",
                engagement_id,
            )
            return await self._open_all(conn, records)

    async def read_subject(self, subject_id: str) -> list[RecordedEvent]:
        """Every event whose personal fields are sealed with ``subject_id``'s key, opened with it (None once
        erased), in the order they were recorded: what this service holds about that person."""
        async with self.pool.acquire() as conn:
            records = await conn.fetch(
                f"""SELECT {rows.SELECTED} FROM {self.schema}.events WHERE subject_id = $1
                    ORDER BY transaction_id, position""", subject_id)
            return await self._open_all(conn, records)

    async def published_by_id(self, event_id: uuid.UUID) -> Published | None:
        """One event as it is published (personal fields still sealed)."""
        async with self.pool.acquire() as conn:
            record = await conn.fetchrow(f"SELECT {rows.SELECTED} FROM {self.schema}.events WHERE event_id = $1",
                                         event_id)
        return None if record is None else rows.published(record, self.service)

    async def _recorded_by_id(self, conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[RecordedEvent]:
        records = await conn.fetch(
            f"SELECT {rows.SELECTED} FROM {self.schema}.events WHERE event_id = ANY($1) ORDER BY position", ids
        )
        return await self._open_all(conn, records)

    async def _open_all(self, conn: asyncpg.Connection, records: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
        subjects = sorted({r["subject_id"] for r in records if r["subject_id"] and ENCRYPTED in r["payload"]})
        keys = await read_subject_keys(conn, self.schema, self.key_ring, subjects) if subjects else {}
        return [codec.open_event(rows.published(record, self.service), self.types, keys.get(record["subject_id"]))
                for record in records]

    # -- verifying -------------------------------------------------------------------------------------

    async def published_in_stream_order(self) -> AsyncIterator[Published]:
        """Every event as stored, ordered by stream and version, read with a cursor (memory stays bounded)."""
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            cursor = conn.cursor(f"SELECT {rows.SELECTED} FROM {self.schema}.events ORDER BY stream_id, version",
                                 prefetch=2000)
            async for record in cursor:
                yield rows.published(record, self.service)

    async def verify(self) -> VerifyReport:
        report = VerifyReport(store=self.service)
        batch: list[Published] = []
        async for envelope in self.published_in_stream_order():
            # Check in batches that end at a stream boundary, so memory stays bounded.
            if len(batch) >= 2000 and envelope.stream_id != batch[-1].stream_id:
                codec.verify_stream_order(batch, report)
                batch = []
            batch.append(envelope)
        codec.verify_stream_order(batch, report)
        return report

    async def heads(self) -> dict[str, tuple[int, bytes]]:
        rows = await self.pool.fetch(
            f"SELECT DISTINCT ON (stream_id) stream_id, version, hash FROM {self.schema}.events "
            "ORDER BY stream_id, version DESC")
        return {row["stream_id"]: (row["version"], bytes(row["hash"])) for row in rows}

    async def check_heads(self, heads: dict[str, HeadClaim]) -> list[ChainBreak]:
        """Compare stream heads held elsewhere (the audit's copies, a signed checkpoint) with this store: a head
        that differs here was rewritten; one missing here was removed, or never recorded here at all (an event
        injected into the bus). Streams the copy has not seen yet are not a break: copies lag behind."""
        if not heads:
            return []
        streams = sorted(heads)
        found = await self.pool.fetch(
            f"""SELECT e.stream_id, e.version, e.hash, e.event_id
                FROM {self.schema}.events e
                JOIN unnest($1::text[], $2::int[]) AS h(stream_id, version) USING (stream_id, version)""",
            streams, [heads[s].version for s in streams],
        )
        here = {record["stream_id"]: record for record in found}
        breaks = []
        for stream in streams:
            claim = heads[stream]
            record = here.get(stream)
            if record is None:
                breaks.append(ChainBreak(stream, claim.version, None, None, await self._missing(stream, claim)))
            elif bytes(record["hash"]) != claim.hash:
                breaks.append(ChainBreak(stream, claim.version, str(record["event_id"]), None,
                                         "differs here (the chain was rewritten)"))
        return breaks

    async def _missing(self, stream: str, claim: HeadClaim) -> str:
        """Why an event held elsewhere is not here: removed from this store, or never recorded in it."""
        if claim.prev_hash is None or claim.position is None:
            return "is missing here (removed)"
        async with self.pool.acquire() as conn:
            chains_on = await conn.fetchval(
                f"""SELECT CASE WHEN $2 = 1 THEN NOT EXISTS (SELECT 1 FROM {self.schema}.events WHERE stream_id = $1)
                    ELSE EXISTS (SELECT 1 FROM {self.schema}.events WHERE stream_id = $1 AND version = $2 - 1
                                 AND hash = $3) END""", stream, claim.version, claim.prev_hash)
            published_up_to = await conn.fetchval(
                f"SELECT position FROM {self.schema}.relay_checkpoint WHERE relay = 'outbox'") or 0
            taken = await conn.fetchval(f"SELECT true FROM {self.schema}.events WHERE position = $1", claim.position)
        if chains_on and 0 < claim.position <= published_up_to and not taken:
            return "is missing here: removed (it follows this store's chain where the relay published it)"
        return ("was never recorded here: injected (it reached the bus without coming from this store's chain "
                "and log)")

    async def count(self) -> int:
        count: int = await self.pool.fetchval(f"SELECT count(*) FROM {self.schema}.events")
        return count

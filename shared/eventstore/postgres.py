"""The PostgreSQL event store (asyncpg): one append-only, hash-chained event table per service schema.

Appends are one INSERT … SELECT FROM unnest(…) statement, whatever the number of events: the previous
event's hash is checked inside the statement (so a stale head cache can never chain to the wrong event),
a duplicate event id is skipped (a retried command records once) and a duplicate (stream, version) is a
concurrency conflict that keeps nothing.

The global log is read in (transaction id, position) order and only below ``pg_snapshot_xmin``: an event
is handed out only once every transaction that could still commit before it has finished. This is the
transaction-id horizon approach; unlike a table lock it lets concurrent writers commit in parallel.
https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-PG-SNAPSHOT
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import asyncpg
from opentelemetry import propagate

from shared.eventstore import chain, codec
from shared.eventstore.crypto import ENCRYPTED, new_key
from shared.eventstore.port import ChainBreak, ConcurrencyConflict, EventStore, SubjectErased, VerifyReport
from shared.events import Actor, NewEvent, RecordedEvent, event_class

COLUMNS = (
    "position, transaction_id::text AS txid, event_id, stream_id, version, event_type, schema_version,"
    " recorded_at, engagement_id, causation_id, correlation_id, subject_id, actor, trace, payload, prev_hash, hash"
)
LogCursor = tuple[int, int]  # (transaction id, position): where a reader of the global log stands


def kernel_schema_sql(schema: str) -> str:
    return resources.files("shared.eventstore").joinpath("schema.sql").read_text().replace("{schema}", schema)


class PostgresEventStore(EventStore):
    def __init__(self, pool: asyncpg.Pool, schema: str, service: str | None = None, head_cache: int = 10_000) -> None:
        self.pool = pool
        self.schema = schema
        self.service = service or schema
        self._heads: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._head_cache = head_cache
        s = schema
        self._insert_sql = f"""
            INSERT INTO {s}.events (event_id, stream_id, version, event_type, schema_version, recorded_at,
                engagement_id, causation_id, correlation_id, subject_id, actor, trace, payload, prev_hash, hash)
            SELECT e.event_id, $1, e.version, e.event_type, e.schema_version, e.recorded_at, e.engagement_id,
                e.causation_id, e.correlation_id, e.subject_id, e.actor, e.trace, e.payload, e.prev_hash, e.hash
            FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::timestamptz[], $7::uuid[], $8::uuid[],
                        $9::uuid[], $10::text[], $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::bytea[], $15::bytea[])
                AS e(event_id, version, event_type, schema_version, recorded_at, engagement_id, causation_id,
                     correlation_id, subject_id, actor, trace, payload, prev_hash, hash)
            WHERE $16::int = 0 OR EXISTS (
                SELECT 1 FROM {s}.events WHERE stream_id = $1 AND version = $16 AND hash = $17)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING position, event_id"""
        # The same for one event, without arrays: most commands record one event.
        self._insert_one_sql = f"""
            INSERT INTO {s}.events (event_id, stream_id, version, event_type, schema_version, recorded_at,
                engagement_id, causation_id, correlation_id, subject_id, actor, trace, payload, prev_hash, hash)
            SELECT $2::uuid, $1, $3::int, $4::text, $5::int, $6::timestamptz, $7::uuid, $8::uuid, $9::uuid,
                $10::text, $11::jsonb, $12::jsonb, $13::jsonb, $14::bytea, $15::bytea
            WHERE $16::int = 0 OR EXISTS (
                SELECT 1 FROM {s}.events WHERE stream_id = $1 AND version = $16 AND hash = $17)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING position, event_id"""
        self._log_sql = f"""
            SELECT {COLUMNS} FROM {s}.events
            WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position
            LIMIT $3"""
        # Reading after an event named by its position: its transaction id is looked up in the same query.
        self._read_all_sql = f"""
            SELECT {COLUMNS} FROM {s}.events
            WHERE (transaction_id, position) > (
                    coalesce((SELECT transaction_id FROM {s}.events WHERE position = $1), '0'::xid8), $1::bigint)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position
            LIMIT $2"""
        self._notify_sql = f"SELECT pg_notify('{s}_events', '')"
        self._notify_pending: asyncio.Task | None = None

    # -- writing ---------------------------------------------------------------------------------------

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], *, connection: Any = None
    ) -> list[RecordedEvent]:
        if not events:
            return []
        if connection is None:
            async with self.pool.acquire() as connection:
                return await self._append(connection, stream_id, expected_version, events)
        return await self._append(connection, stream_id, expected_version, events)

    async def _append(
        self, conn: asyncpg.Connection, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[RecordedEvent]:
        keys = await self._keys_for_writing(conn, {e.subject_id for e in events if codec.needs_key(e)})
        trace: dict[str, str] = {}
        propagate.inject(trace)
        for attempt in (1, 2):
            prev_hash = await self._head_hash(conn, stream_id, expected_version, refresh=attempt == 2)
            rows = codec.seal(stream_id, expected_version + 1, prev_hash, events, keys, trace)
            arguments = self._insert_args(stream_id, expected_version, prev_hash, rows, events)
            sql = self._insert_one_sql if len(rows) == 1 else self._insert_sql
            try:
                if conn.is_in_transaction():
                    # A savepoint, so a conflict leaves the caller's transaction usable (to report it, or retry).
                    async with conn.transaction():
                        positions = await conn.fetch(sql, *arguments)
                else:
                    positions = await conn.fetch(sql, *arguments)
            except asyncpg.UniqueViolationError:
                self._heads.pop(stream_id, None)
                actual = await self._current_version(conn, stream_id)
                raise ConcurrencyConflict(stream_id, expected_version, actual) from None
            if len(positions) == len(rows):
                self._remember_head(stream_id, rows[-1]["version"], rows[-1]["hash"])
                position_of = {str(record["event_id"]): record["position"] for record in positions}
                for row in rows:
                    row["position"] = position_of[row["event_id"]]
                self.wake_relay()
                return [codec.just_recorded(row, event, self.service) for row, event in zip(rows, events)]
            if positions:
                # Only part of the batch was new: the caller reused event ids of another append.
                raise ValueError("an append mixed already-recorded event ids with new ones")
            already = await self._recorded_by_id(conn, [event.event_id for event in events])
            if len(already) == len(events):
                return already
        actual = await self._current_version(conn, stream_id)
        raise ConcurrencyConflict(stream_id, expected_version, actual)

    def wake_relay(self, delay: float = 0.005) -> None:
        """Tell the relay (whichever replica leads) that events were recorded.

        The NOTIFY goes out shortly after, from a connection of its own, once for a burst of appends: a NOTIFY
        inside the appending transaction would take PostgreSQL's notification lock through its commit and
        make concurrent writers commit one at a time. An append inside a longer transaction may be announced
        before it commits; the relay's polling picks such an event up.
        """
        if self._notify_pending is None or self._notify_pending.done():
            self._notify_pending = asyncio.get_running_loop().create_task(self._notify_after(delay))

    async def _notify_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.pool.execute(self._notify_sql)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the relay polls as well

    def _insert_args(self, stream_id: str, expected: int, prev_hash: bytes, rows: list[codec.Row],
                     events: Sequence[NewEvent]) -> list[Any]:
        # Ids and times come from the events themselves: parsing them back from the rows' text costs time.
        if len(rows) == 1:
            [row], [event] = rows, events
            return [
                stream_id, event.event_id, row["version"], row["event_type"], row["schema_version"],
                datetime.fromisoformat(row["recorded_at"]), event.engagement_id, event.causation_id,
                event.correlation_id, row["subject_id"], _actor_text(event.actor), _json(row["trace"]),
                _json(row["payload"]), row["prev_hash"], row["hash"], expected, prev_hash,
            ]

        def column(name: str) -> list[Any]:
            return [row[name] for row in rows]

        recorded_at = datetime.fromisoformat(rows[0]["recorded_at"])  # one append, one time
        trace = _json(rows[0]["trace"])
        return [
            stream_id,
            [event.event_id for event in events],
            column("version"),
            column("event_type"),
            column("schema_version"),
            [recorded_at] * len(rows),
            [event.engagement_id for event in events],
            [event.causation_id for event in events],
            [event.correlation_id for event in events],
            column("subject_id"),
            [_actor_text(event.actor) for event in events],
            [trace] * len(rows),
            [_json(row["payload"]) for row in rows],
            column("prev_hash"),
            column("hash"),
            expected,
            prev_hash,
        ]

    async def _head_hash(self, conn: asyncpg.Connection, stream_id: str, expected: int, refresh: bool) -> bytes:
        if expected == 0:
            return chain.GENESIS
        cached = None if refresh else self._heads.get(stream_id)
        if cached is not None and cached[0] == expected:
            return cached[1]
        head = await conn.fetchrow(
            f"SELECT version, hash FROM {self.schema}.events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1",
            stream_id,
        )
        version = head["version"] if head else 0
        if version != expected:
            raise ConcurrencyConflict(stream_id, expected, version)
        return head["hash"]

    def _remember_head(self, stream_id: str, version: int, hash_: bytes) -> None:
        self._heads[stream_id] = (version, hash_)
        self._heads.move_to_end(stream_id)
        if len(self._heads) > self._head_cache:
            self._heads.popitem(last=False)

    async def _current_version(self, conn: asyncpg.Connection, stream_id: str) -> int:
        return await conn.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {self.schema}.events WHERE stream_id = $1", stream_id
        )

    async def _keys_for_writing(self, conn: asyncpg.Connection, subjects: set[str | None]) -> dict[str, bytes]:
        wanted = sorted(subject for subject in subjects if subject is not None)
        if not wanted:
            return {}
        await conn.executemany(
            f"INSERT INTO {self.schema}.subject_keys (subject_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(subject, new_key()) for subject in wanted],
        )
        found = await conn.fetch(
            f"SELECT subject_id, key FROM {self.schema}.subject_keys WHERE subject_id = ANY($1)", wanted
        )
        keys = {record["subject_id"]: record["key"] for record in found}
        erased = [subject for subject in wanted if keys.get(subject) is None]
        if erased:
            raise SubjectErased(f"data subject {erased[0]} has been erased; no personal data can be recorded")
        return keys

    async def shred(self, subject_id: str, *, connection: Any = None) -> bool:
        result = await (connection or self.pool).execute(
            f"""INSERT INTO {self.schema}.subject_keys (subject_id, key, shredded_at) VALUES ($1, NULL, now())
                ON CONFLICT (subject_id) DO UPDATE SET key = NULL, shredded_at = now()
                WHERE {self.schema}.subject_keys.key IS NOT NULL""",
            subject_id,
        )
        return result.endswith(" 1")

    # -- reading ---------------------------------------------------------------------------------------

    async def read_stream(self, stream_id: str, *, after_version: int = 0, connection: Any = None) -> list[RecordedEvent]:
        sql = f"SELECT {COLUMNS} FROM {self.schema}.events WHERE stream_id = $1 AND version > $2 ORDER BY version"
        if connection is None:
            async with self.pool.acquire() as connection:
                records = await connection.fetch(sql, stream_id, after_version)
                events = await self._decode_all(connection, records)
        else:
            records = await connection.fetch(sql, stream_id, after_version)
            events = await self._decode_all(connection, records)
        if events:
            self._remember_head(stream_id, events[-1].version, events[-1].hash)
        return events

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            records = await conn.fetch(self._read_all_sql, after_position, limit)
            return await self._decode_all(conn, records)

    async def read_log_rows(self, conn: asyncpg.Connection, after: LogCursor, limit: int) -> list[codec.Row]:
        """Stored rows of the global log after ``after``, as published (personal fields still sealed)."""
        records = await conn.fetch(self._log_sql, str(after[0]), after[1], limit)
        return [row_of(record) for record in records]

    async def read_engagement(self, engagement_id: uuid.UUID) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {COLUMNS} FROM {self.schema}.events WHERE engagement_id = $1 ORDER BY transaction_id, position",
                engagement_id,
            )
            return await self._decode_all(conn, records)

    async def _recorded_by_id(self, conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[RecordedEvent]:
        records = await conn.fetch(
            f"SELECT {COLUMNS} FROM {self.schema}.events WHERE event_id = ANY($1) ORDER BY position", ids
        )
        return await self._decode_all(conn, records)

    async def _decode_all(self, conn: asyncpg.Connection, records: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
        subjects = sorted({r["subject_id"] for r in records if r["subject_id"] and ENCRYPTED in r["payload"]})
        keys: dict[str, bytes | None] = {}
        if subjects:
            found = await conn.fetch(
                f"SELECT subject_id, key FROM {self.schema}.subject_keys WHERE subject_id = ANY($1)", subjects
            )
            keys = {record["subject_id"]: record["key"] for record in found}
        decoded = []
        for record in records:
            if ENCRYPTED in record["payload"] or (cls := event_class(record["event_type"])) is None \
                    or cls.schema_version != record["schema_version"]:
                # Sealed fields, an old schema version or an unknown type: the general path.
                decoded.append(codec.decode(row_of(record), keys.get(record["subject_id"]), self.service))
            else:
                decoded.append(self._decode_plain(record, cls))
        return decoded

    def _decode_plain(self, record: asyncpg.Record, cls: Any) -> RecordedEvent:
        """The common case, straight from the record's own types: current schema, nothing sealed."""
        return RecordedEvent(
            record["event_id"], record["stream_id"], record["version"], record["position"], record["event_type"],
            record["schema_version"], record["recorded_at"], _actor(record["actor"]),
            cls.model_validate_json(record["payload"]), record["engagement_id"], record["causation_id"],
            record["correlation_id"], record["subject_id"], _trace(record["trace"]), self.service,
            record["prev_hash"], record["hash"],
        )

    # -- verifying -------------------------------------------------------------------------------------

    async def verify(self, progress: Any = None) -> VerifyReport:
        report = VerifyReport(store=self.service)
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            cursor = conn.cursor(f"SELECT {COLUMNS} FROM {self.schema}.events ORDER BY stream_id, version", prefetch=2000)
            rows = _rows_with_progress(cursor, progress)
            buffered: list[codec.Row] = []
            async for row in rows:
                buffered.append(row)
                # Check in batches that end at a stream boundary, so memory stays bounded.
                if len(buffered) >= 2000 and buffered[-1]["stream_id"] != buffered[-2]["stream_id"]:
                    last = buffered.pop()
                    codec.verify_rows(buffered, report)
                    buffered = [last]
            codec.verify_rows(buffered, report)
        return report

    async def check_heads(self, heads: dict[str, tuple[int, bytes]]) -> list[ChainBreak]:
        """Compare copies' stream heads (stream -> (version, hash)) with this store: a copied event that is gone
        here (a removed last event) or differs (a rewritten chain) is a break. Streams the copy has not seen
        yet are not a break: copies lag behind."""
        if not heads:
            return []
        streams = sorted(heads)
        found = await self.pool.fetch(
            f"""SELECT e.stream_id, e.version, e.hash, e.event_id
                FROM {self.schema}.events e
                JOIN unnest($1::text[], $2::int[]) AS h(stream_id, version) USING (stream_id, version)""",
            streams, [heads[s][0] for s in streams],
        )
        here = {record["stream_id"]: record for record in found}
        breaks = []
        for stream in streams:
            version, hash_ = heads[stream]
            record = here.get(stream)
            if record is None:
                breaks.append(ChainBreak(stream, version, None, None,
                                         "an event the audit copied is missing here (removed)"))
            elif bytes(record["hash"]) != hash_:
                breaks.append(ChainBreak(stream, version, str(record["event_id"]), None,
                                         "differs from the audit's copy (the chain was rewritten)"))
        return breaks

    async def count(self) -> int:
        return await self.pool.fetchval(f"SELECT count(*) FROM {self.schema}.events")


async def _rows_with_progress(cursor: Any, progress: Any):  # type: ignore[no-untyped-def]
    async for record in cursor:
        if progress is not None:
            progress(1)
        yield row_of(record)


def row_of(record: asyncpg.Record) -> codec.Row:
    """A database record in the row form the codec hashes and decodes."""
    return {
        "position": record["position"],
        "transaction_id": int(record["txid"]),
        "event_id": str(record["event_id"]),
        "stream_id": record["stream_id"],
        "version": record["version"],
        "event_type": record["event_type"],
        "schema_version": record["schema_version"],
        "recorded_at": record["recorded_at"].isoformat(),
        "engagement_id": _text_or_none(record["engagement_id"]),
        "causation_id": _text_or_none(record["causation_id"]),
        "correlation_id": _text_or_none(record["correlation_id"]),
        "subject_id": record["subject_id"],
        "actor": json.loads(record["actor"]),
        "trace": json.loads(record["trace"]),
        "payload": json.loads(record["payload"]),
        "prev_hash": bytes(record["prev_hash"]),
        "hash": bytes(record["hash"]),
    }


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=4096)
def _actor(text: str) -> Actor:
    return Actor.model_validate_json(text)


@lru_cache(maxsize=4096)
def _actor_text(actor: Actor) -> str:
    return _json(codec.actor_json(actor))


@lru_cache(maxsize=4096)
def _trace(text: str) -> dict[str, str]:
    return json.loads(text)  # shared between events with the same context: read-only


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)

"""A measured proposal, not kernel code: the changes to ``shared/eventstore`` this benchmark argues for,
tried on a subclass so they can be timed beside the real store (``python -m bench.eventstore --prototype``).

What it changes, and why (bench/README.md has the figures):

1. Pool connections are handed back without asyncpg's reset query (``pg_advisory_unlock_all(); CLOSE ALL;
   UNLISTEN *; RESET ALL``). asyncpg still rolls back an open transaction and drops listeners; the query
   itself was a second round trip on every append. The kernel would need the outbox relay to unlock its
   advisory lock itself (it relies on the reset today), or to lead on a connection of its own.
2. No ``pg_notify`` trigger: notifying transactions commit one at a time (PostgreSQL serialises them on the
   notification queue), which halves what 16 concurrent writers get through. The relay would be woken in
   process after an append and keep polling for appends made elsewhere.
3. Sealing writes each event's JSON once: the canonical content the hash covers is assembled from the same
   strings that go to the jsonb columns (byte for byte what ``chain.canonical`` makes of the row), and ids
   and the timestamp go to asyncpg as objects instead of text parsed back.
4. A one-event append is a one-row INSERT (no arrays to encode).
5. The global log is ordered by the xid8 column, not by its text alias (a correctness fix, see
   ``__init__``), which also lets PostgreSQL read it from the (transaction id, position) index.
6. Reading decodes straight from the database record: pydantic parses the payload JSON itself, actors are
   parsed once per distinct actor, ids and timestamps are used as asyncpg returns them, and the
   ``RecordedEvent`` is built without its frozen ``__init__``; the log is paged on the (transaction id,
   position) cursor itself instead of looking the position up again per page.
   Rows with sealed personal fields or an older schema version take the kernel's general path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from opentelemetry import propagate

from bench.kokemus_store import KokemusStore
from bench.workload import pool_size
from shared.database import migrate
from shared.eventstore import codec
from shared.eventstore.crypto import ENCRYPTED, encrypt_fields
from shared.eventstore.port import ConcurrencyConflict
from shared.eventstore.postgres import PostgresEventStore
from shared.events import Actor, NewEvent, RecordedEvent, event_class

SCHEMA = "kokemus"
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool reset that sends nothing: asyncpg has already rolled back and dropped listeners."""


class PrototypeStore(PostgresEventStore):
    def __init__(self, pool: asyncpg.Pool, schema: str, service: str | None = None, head_cache: int = 10_000) -> None:
        super().__init__(pool, schema, service, head_cache)
        s = schema
        self._insert_one_sql = f"""
            INSERT INTO {s}.events (event_id, stream_id, version, event_type, schema_version, recorded_at,
                engagement_id, causation_id, correlation_id, subject_id, actor, trace, payload, prev_hash, hash)
            SELECT $2::uuid, $1, $3::int, $4::text, $5::int, $6::timestamptz, $7::uuid, $8::uuid, $9::uuid, $10::text,
                $11::jsonb, $12::jsonb, $13::jsonb, $14::bytea, $15::bytea
            WHERE $16::int = 0 OR EXISTS (
                SELECT 1 FROM {s}.events WHERE stream_id = $1 AND version = $16 AND hash = $17)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING position, event_id"""
        # The kernel's log query orders by the text alias its select list gives transaction_id, so '10…' sorts
        # before '9…' and keyset paging skips events; naming the table's column sorts by xid8 on the index.
        self._log_sql = self._log_sql.replace(
            "ORDER BY transaction_id, position", f"ORDER BY {s}.events.transaction_id, {s}.events.position")
        self._actors: dict[str, Actor] = {}

    # -- writing ---------------------------------------------------------------------------------------

    async def _append(
        self, conn: asyncpg.Connection, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[RecordedEvent]:
        keys = await self._keys_for_writing(conn, {e.subject_id for e in events if codec.needs_key(e)})
        trace: dict[str, str] = {}
        propagate.inject(trace)
        for attempt in (1, 2):
            prev_hash = await self._head_hash(conn, stream_id, expected_version, refresh=attempt == 2)
            recorded_at = datetime.now(UTC)
            columns, hashes = _seal(stream_id, expected_version + 1, prev_hash, events, keys, trace, recorded_at)
            if len(events) == 1:
                sql, arguments = self._insert_one_sql, [stream_id, *(column[0] for column in columns)]
            else:
                sql, arguments = self._insert_sql, [stream_id, *columns]
            arguments += [expected_version, prev_hash]
            try:
                if conn.is_in_transaction():
                    async with conn.transaction():
                        positions = await conn.fetch(sql, *arguments)
                else:
                    positions = await conn.fetch(sql, *arguments)
            except asyncpg.UniqueViolationError:
                self._heads.pop(stream_id, None)
                actual = await self._current_version(conn, stream_id)
                raise ConcurrencyConflict(stream_id, expected_version, actual) from None
            if len(positions) == len(events):
                self._remember_head(stream_id, expected_version + len(events), hashes[-1])
                position_of = {record["event_id"]: record["position"] for record in positions}
                return [
                    _recorded_event(
                        event.event_id, stream_id, expected_version + 1 + n, position_of[event.event_id],
                        event.payload.event_type(), event.payload.schema_version, recorded_at, event.actor,
                        event.payload, event.engagement_id, event.causation_id, event.correlation_id,
                        event.subject_id, trace, self.service, prev, hash_, (),
                    )
                    for n, (event, prev, hash_) in enumerate(zip(events, [prev_hash, *hashes[:-1]], hashes))
                ]
            if positions:
                raise ValueError("an append mixed already-recorded event ids with new ones")
            already = await self._recorded_by_id(conn, [event.event_id for event in events])
            if len(already) == len(events):
                return already
        actual = await self._current_version(conn, stream_id)
        raise ConcurrencyConflict(stream_id, expected_version, actual)

    # -- reading ---------------------------------------------------------------------------------------

    async def iterate_all(self, *, after_position: int = 0, batch: int = 1000) -> AsyncIterator[RecordedEvent]:
        async with self.pool.acquire() as conn:
            cursor = await self.cursor_of(conn, after_position)
        while True:
            async with self.pool.acquire() as conn:
                records = await conn.fetch(self._log_sql, str(cursor[0]), cursor[1], batch)
                events = await self._decode_all(conn, records)
            if not events:
                return
            for event in events:
                yield event
            cursor = (int(records[-1]["transaction_id"]), records[-1]["position"])

    async def _decode_all(self, conn: asyncpg.Connection, records: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
        decoded: list[RecordedEvent | None] = [self._decode_plain(record) for record in records]
        if None in decoded:  # sealed personal fields or an old schema version: the general path
            general = iter(await super()._decode_all(conn, [r for r, e in zip(records, decoded) if e is None]))
            decoded = [event if event is not None else next(general) for event in decoded]
        return decoded  # type: ignore[return-value]

    def _decode_plain(self, record: asyncpg.Record) -> RecordedEvent | None:
        (position, _, event_id, stream_id, version, event_type, schema_version, recorded_at, engagement_id,
         causation_id, correlation_id, subject_id, actor_json, trace_json, payload_json, prev_hash, hash_) = record
        cls = event_class(event_type)
        if cls is None or cls.schema_version != schema_version or f'"{ENCRYPTED}"' in payload_json:
            return None
        actor = self._actors.get(actor_json)
        if actor is None:
            actor = self._actors.setdefault(actor_json, Actor.model_validate_json(actor_json))
        return _recorded_event(
            event_id, stream_id, version, position, event_type, schema_version, recorded_at, actor,
            cls.model_validate_json(payload_json), engagement_id, causation_id, correlation_id, subject_id,
            {} if trace_json == "{}" else json.loads(trace_json), self.service, prev_hash, hash_, (),
        )


_FIELD_SETTERS = tuple(RecordedEvent.__dict__[f.name].__set__ for f in dataclasses.fields(RecordedEvent))


def _recorded_event(*values: Any) -> RecordedEvent:
    """A RecordedEvent from its field values in declaration order, without the frozen dataclass ``__init__``
    (which sets each of its 18 fields through ``object.__setattr__``: a third of the decoding time)."""
    event = object.__new__(RecordedEvent)
    for set_field, value in zip(_FIELD_SETTERS, values):
        set_field(event, value)
    return event


def _seal(
    stream_id: str, first_version: int, prev_hash: bytes, events: Sequence[NewEvent], keys: dict[str, bytes],
    trace: dict[str, str], recorded_at: datetime,
) -> tuple[list[list[Any]], list[bytes]]:
    """The insert's columns (event_id … hash, as ``PostgresEventStore._insert_sql`` takes them) and the hashes.

    The canonical content is assembled from per-field JSON in sorted key order, which is what
    ``chain.canonical`` of the whole row produces; the jsonb columns reuse the same strings."""
    at_text = recorded_at.isoformat()
    at_json, stream_json, trace_json = _encode(at_text), _encode(stream_id), _encode(trace)
    actor_json: dict[Actor, str] = {}
    ids: dict[uuid.UUID | None, str] = {None: "null"}  # the events of one command share their causation
    columns: list[list[Any]] = [[] for _ in range(14)]
    hashes: list[bytes] = []
    for offset, event in enumerate(events):
        payload = event.payload.model_dump(mode="json")
        personal = event.payload.personal_fields()
        event_id = str(event.event_id)
        if personal and event.subject_id is not None:
            payload = encrypt_fields(payload, personal, keys[event.subject_id], event_id)
        actor = actor_json.get(event.actor)
        if actor is None:
            actor = actor_json[event.actor] = _encode(event.actor.model_dump(mode="json"))
        payload_json = _encode(payload)
        version = first_version + offset
        event_type = event.payload.event_type()
        content = (
            f'{{"actor":{actor},"causation_id":{_id(ids, event.causation_id)},'
            f'"correlation_id":{_id(ids, event.correlation_id)},"engagement_id":{_id(ids, event.engagement_id)},'
            f'"event_id":"{event_id}","event_type":{_encode(event_type)},'
            f'"payload":{payload_json},"recorded_at":{at_json},"schema_version":{event.payload.schema_version},'
            f'"stream_id":{stream_json},"subject_id":{_encode(event.subject_id)},"trace":{trace_json},'
            f'"version":{version}}}'
        )
        hash_ = hashlib.sha256(prev_hash + hashlib.sha256(content.encode()).digest()).digest()
        for column, value in zip(columns, (
            event.event_id, version, event_type, event.payload.schema_version, recorded_at, event.engagement_id,
            event.causation_id, event.correlation_id, event.subject_id, actor, trace_json, payload_json,
            prev_hash, hash_,
        )):
            column.append(value)
        hashes.append(hash_)
        prev_hash = hash_
    return columns, hashes


def _id(known: dict[uuid.UUID | None, str], value: uuid.UUID | None) -> str:
    text = known.get(value)
    if text is None:
        text = known[value] = f'"{value}"'
    return text


class PrototypeContender(KokemusStore):
    """The prototype in the benchmark, used exactly as the kokemus store is."""

    name = "kokemus prototype"

    @classmethod
    async def open(cls, dsn: str, writers: int) -> PrototypeContender:
        size = pool_size(writers)
        pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size, reset=_keep_session)
        async with pool.acquire() as conn:
            await migrate(conn, SCHEMA)
            await conn.execute(f"DROP TRIGGER events_notify ON {SCHEMA}.events")
        return cls(PrototypeStore(pool, SCHEMA, "bench"))

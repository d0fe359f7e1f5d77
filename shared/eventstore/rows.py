"""The event table's SQL, made from the envelope's fields (:data:`shared.envelope.COLUMNS`), and the
conversions between its records and envelopes. Nothing here names a field the envelope does not define,
but for the store's own bookkeeping column ``transaction_id``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from shared.envelope import COLUMNS, JSON_COLUMNS, Published, assemble
from shared.errors import invalid
from shared.events import Actor

# Columns the database fills itself on insert.
_GENERATED = ("position",)
INSERTED = tuple(name for name in COLUMNS if name not in _GENERATED)
SELECTED = "position, transaction_id::text AS txid, " + ", ".join(name for name in COLUMNS if name != "position")


def table_sql(schema: str) -> str:
    """The event table, as the envelope defines it, plus ``transaction_id``: readers of the global log stop
    below the oldest transaction still running, so a slow writer that took a lower position is never skipped."""
    columns = [f"position {COLUMNS['position']}",
               "transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id()"]
    columns += [f"{name} {sql}" for name, sql in COLUMNS.items() if name != "position"]
    columns.append("UNIQUE (stream_id, version)")
    return f"CREATE TABLE IF NOT EXISTS {schema}.events (\n    " + ",\n    ".join(columns) + "\n);"


def _sql_type(name: str) -> str:
    return COLUMNS[name].split()[0]


def insert_many_sql(schema: str) -> str:
    """One INSERT for a batch: ``$1`` the stream, then one array per inserted column, then the expected
    version and the hash it must follow (checked inside the statement, so a stale head never chains)."""
    names = [name for name in INSERTED if name != "stream_id"]
    arrays = ", ".join(f"${n}::{_sql_type(name)}[]" for n, name in enumerate(names, start=2))
    expected, head = len(names) + 2, len(names) + 3
    return f"""
        INSERT INTO {schema}.events ({", ".join(INSERTED)})
        SELECT {", ".join("$1" if name == "stream_id" else f"e.{name}" for name in INSERTED)}
        FROM unnest({arrays}) AS e({", ".join(names)})
        WHERE ${expected}::int = 0 OR EXISTS (
            SELECT 1 FROM {schema}.events WHERE stream_id = $1 AND version = ${expected} AND hash = ${head})
        ON CONFLICT (event_id) DO NOTHING
        RETURNING position, event_id"""


def insert_one_sql(schema: str) -> str:
    """The same for one event, without arrays: most commands record one event. A writer that lost the race
    for the version records nothing instead of failing (``ON CONFLICT DO NOTHING`` covers the stream's version
    too), so a single event needs no savepoint in the caller's transaction: one round trip, not three."""
    names = [name for name in INSERTED if name != "stream_id"]
    values = ", ".join(f"${n}::{_sql_type(name)}" for n, name in enumerate(names, start=2))
    expected, head = len(names) + 2, len(names) + 3
    return f"""
        INSERT INTO {schema}.events (stream_id, {", ".join(names)})
        SELECT $1, {values}
        WHERE ${expected}::int = 0 OR EXISTS (
            SELECT 1 FROM {schema}.events WHERE stream_id = $1 AND version = ${expected} AND hash = ${head})
        ON CONFLICT DO NOTHING
        RETURNING position, event_id"""


def insert_arguments(sealed: Sequence[Published], expected: int, head: bytes) -> list[Any]:
    """Arguments of :func:`insert_one_sql` (one envelope) or :func:`insert_many_sql` (several)."""
    names = [name for name in INSERTED if name != "stream_id"]
    if len(sealed) == 1:
        [envelope] = sealed
        return [envelope.stream_id, *(_db_value(name, getattr(envelope, name)) for name in names), expected, head]
    return [sealed[0].stream_id,
            *([_db_value(name, getattr(envelope, name)) for envelope in sealed] for name in names),
            expected, head]


# What one event's payload may take: the bus carries at most 1 MiB a message (NATS's default), and an event
# that could not be published would stop its relay. Requests are far smaller (shared.messaging.limits).
MAX_PAYLOAD_BYTES = 256 * 1024


def _db_value(name: str, value: Any) -> Any:
    if name == "actor":
        return _actor_text(value)
    if name in JSON_COLUMNS:
        text = _json(value)
        if name == "payload" and len(text) > MAX_PAYLOAD_BYTES:
            raise invalid("(message)", f"would record an event of {len(text)} bytes, more than the bus carries",
                          f"events of at most {MAX_PAYLOAD_BYTES} bytes")
        return text
    return value


def published(record: asyncpg.Record, service: str) -> Published:
    """A stored record as its published envelope (personal fields still sealed), without validating again
    what the store validated when it recorded the event."""
    fields = {name: record[name] for name in COLUMNS}
    for name in JSON_COLUMNS:
        fields[name] = _actor(record[name]) if name == "actor" else json.loads(record[name])
    fields["prev_hash"], fields["hash"] = bytes(record["prev_hash"]), bytes(record["hash"])
    fields["service"] = service
    return assemble(Published, fields)


def log_cursor(record: asyncpg.Record) -> tuple[int, int]:
    """Where a reader of the global log stands after this record: (transaction id, position)."""
    return int(record["txid"]), record["position"]


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=4096)
def _actor(text: str) -> Actor:
    return Actor.model_validate_json(text)


@lru_cache(maxsize=4096)
def _actor_text(actor: Actor) -> str:
    return actor.model_dump_json()

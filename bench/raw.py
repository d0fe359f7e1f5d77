"""The baseline: plain asyncpg statements on a table shaped like the kokemus events table.

The table copies the columns, defaults, constraints and indexes of ``shared/eventstore/schema.sql`` (the
smoke test checks they stay alike). It has none of the kernel's triggers: those are behaviour the store
adds, and what they cost is part of what this baseline shows.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from bench.workload import Plan, pool_size, sealed_rows
from shared.eventstore.postgres import kernel_schema_sql

SCHEMA = "raw"
# The kokemus events table and its indexes as the kernel's migration makes them, without what follows (the
# append-only triggers, the other kernel tables): the same shape, none of the store's own work.
TABLE_SQL = f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};\n" + kernel_schema_sql(SCHEMA).split("-- Append-only")[0]
COLUMNS = ("event_id, stream_id, version, event_type, schema_version, recorded_at, engagement_id, causation_id,"
           " correlation_id, subject_id, actor, trace, payload, prev_hash, hash")
INSERT_ONE = f"""
    INSERT INTO {SCHEMA}.events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"""
INSERT_MANY = f"""
    INSERT INTO {SCHEMA}.events ({COLUMNS})
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::timestamptz[], $7::uuid[],
                         $8::uuid[], $9::uuid[], $10::text[], $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::bytea[],
                         $15::bytea[])"""
PAGE = f"SELECT * FROM {SCHEMA}.events WHERE position > $1 ORDER BY position LIMIT $2"

Values = tuple[Any, ...]  # one row's parameters, in COLUMNS order


class RawInserts:
    """Single-row INSERTs in autocommit, one 20-row INSERT … unnest per batch, and paged SELECTs."""

    name = "raw asyncpg"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, writers: int) -> RawInserts:
        pool = await asyncpg.create_pool(dsn, min_size=pool_size(writers), max_size=pool_size(writers))
        await pool.execute(TABLE_SQL)
        return cls(pool)

    def prepare(self, plans: Plan) -> list[list[list[Values]]]:
        return [[[_values(row) for row in rows] for rows in appends] for appends in sealed_rows(plans)]

    async def write(self, prepared: list[list[list[Values]]]) -> int:
        written = await asyncio.gather(*(self._writer(appends) for appends in prepared))
        return sum(written)

    async def _writer(self, appends: list[list[Values]]) -> int:
        # One connection per writer for the whole run: the cheapest way asyncpg can do it.
        async with self.pool.acquire() as conn:
            for rows in appends:
                if len(rows) == 1:
                    await conn.execute(INSERT_ONE, *rows[0])
                else:
                    await conn.execute(INSERT_MANY, *(list(column) for column in zip(*rows, strict=False)))
        return sum(len(rows) for rows in appends)

    async def read(self, page_size: int) -> int:
        read, after = 0, 0
        async with self.pool.acquire() as conn:
            while records := await conn.fetch(PAGE, after, page_size):
                read += len(records)
                after = records[-1]["position"]
        return read

    async def close(self) -> None:
        await self.pool.close()


def _values(row: dict[str, Any]) -> Values:
    def as_uuid(value: str | None) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(value)

    def as_json(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    return (
        uuid.UUID(row["event_id"]), row["stream_id"], row["version"], row["event_type"], row["schema_version"],
        datetime.fromisoformat(row["recorded_at"]), as_uuid(row["engagement_id"]), as_uuid(row["causation_id"]),
        as_uuid(row["correlation_id"]), row["subject_id"], as_json(row["actor"]), as_json(row["trace"]),
        as_json(row["payload"]), row["prev_hash"], row["hash"],
    )

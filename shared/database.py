"""PostgreSQL connections and migrations for one service's schema."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterable

import asyncpg

from shared.eventstore.postgres import kernel_schema_sql


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, attempts: int = 30) -> asyncpg.Pool:
    """A pool, retrying while the server starts (as it does beside us in a pod or in ``kokemus up``)."""
    for attempt in range(attempts):
        try:
            return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=60,
                                             reset=_keep_session)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
    raise AssertionError("unreachable")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection without the default reset round trip (RESET ALL, UNLISTEN *, unlocking advisory
    locks): asyncpg still rolls back an open transaction, and our code leaves no other session state behind
    (the relay unlocks and unlistens itself). One round trip less for every command."""


async def migrate(conn: asyncpg.Connection, schema: str, service_sql: Iterable[str] = ()) -> None:
    """Create or bring up to date the kernel's tables and the service's own; safe to run twice, even at once."""
    async with conn.transaction():
        # Two migrations started together (two pods, a Job and a pod) take turns.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"kokemus-migrate-{schema}".encode()))
        # The schema may have been made for us (owned by our role) by whoever provisioned the database.
        if not await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", schema):
            await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(kernel_schema_sql(schema))
        for sql in service_sql:
            await conn.execute(sql.replace("{schema}", schema))

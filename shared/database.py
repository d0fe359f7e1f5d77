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


async def migrate(conn: asyncpg.Connection, schema: str, service_sql: Iterable[str] = (),
                  runtime_role: str | None = None) -> None:
    """Create or bring up to date the kernel's tables and the service's own; safe to run twice, even at once.

    Run as the role that owns the schema (the migration role). ``runtime_role``, the role the running service
    logs in as, is then given only what serving needs: it reads and writes its tables but owns none, so it
    cannot alter a table or disable the event table's trigger, and it may only read and add events."""
    async with conn.transaction():
        # Two migrations started together (two pods, a Job and a pod) take turns.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"kokemus-migrate-{schema}".encode()))
        # The schema may have been made for us (owned by our role) by whoever provisioned the database.
        if not await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", schema):
            await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(kernel_schema_sql(schema))
        for sql in service_sql:
            await conn.execute(sql.replace("{schema}", schema))
        if runtime_role is not None:
            await conn.execute(runtime_grants_sql(schema, runtime_role))


def runtime_grants_sql(schema: str, role: str) -> str:
    """What the service's runtime role may do in its schema (``schema`` and ``role`` are checked identifiers)."""
    role = quote_identifier(role)
    return f"""
        GRANT USAGE ON SCHEMA {schema} TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.events FROM {role};"""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

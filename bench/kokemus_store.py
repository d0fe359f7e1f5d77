"""The contender under test: :class:`PostgresEventStore` in a schema made by the kernel's own migration."""

from __future__ import annotations

import asyncio

from bench.workload import EVENTS, Append, Plan, pool_size
from shared.database import create_pool, migrate
from shared.eventstore.postgres import PostgresEventStore

SCHEMA = "kokemus"


class KokemusStore:
    """``append`` per command (the expected version known, as a loaded aggregate knows it), and
    ``iterate_all`` from position 0, decoding every row to a :class:`RecordedEvent` as a reader gets it."""

    name = "kokemus"

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store

    @classmethod
    async def open(cls, dsn: str, writers: int) -> KokemusStore:
        # The pool the services use (shared.database), so the benchmark pays what a service pays.
        pool = await create_pool(dsn, min_size=pool_size(writers), max_size=pool_size(writers))
        async with pool.acquire() as conn:
            await migrate(conn, SCHEMA)
        return cls(PostgresEventStore(pool, SCHEMA, "bench", EVENTS))

    def prepare(self, plans: Plan) -> Plan:
        return plans

    async def write(self, plans: Plan) -> int:
        written = await asyncio.gather(*(self._writer(appends) for appends in plans))
        return sum(written)

    async def _writer(self, appends: list[Append]) -> int:
        # One connection per writer, as the raw baseline has (and as a command's unit of work holds one).
        written = 0
        async with self.store.pool.acquire() as conn:
            for call in appends:
                written += len(await self.store.append(call.stream_id, call.expected_version, call.events,
                                                       connection=conn))
        return written

    async def read(self, page_size: int) -> int:
        read = 0
        async for _ in self.store.iterate_all(batch=page_size):
            read += 1
        return read

    async def close(self) -> None:
        await self.store.pool.close()

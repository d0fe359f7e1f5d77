"""The other library: ``eventsourcing``'s PostgreSQL application recorder (psycopg 3, synchronous).

Its API is synchronous, so the writers are threads, one per writer, on a connection pool as large as the
number of writers. Each append is ``insert_events`` with that append's stored events; reading is
``select_notifications`` paging from the start. The stored state is the same content the kokemus store
keeps for the event, as canonical JSON. ``insert_events`` takes an exclusive table lock, by design (see
``PostgresApplicationRecorder._lock_table``): that is how the library keeps its notification log gap-free.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench.workload import Plan, pool_size, sealed_rows
from shared.envelope import HASHED_FIELDS
from shared.eventstore import chain

SCHEMA = "eventsourcing"
TOPIC = "services.registry.events:TrainingCompleted"


class LibraryRecorder:
    name = "eventsourcing"

    def __init__(self, datastore: PostgresDatastore, recorder: PostgresApplicationRecorder, writers: int) -> None:
        self.datastore = datastore
        self.recorder = recorder
        self.threads = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="eventsourcing-writer")

    @classmethod
    async def open(cls, dsn: str, writers: int) -> LibraryRecorder:
        return await asyncio.to_thread(cls._open, dsn, writers)

    @classmethod
    def _open(cls, dsn: str, writers: int) -> LibraryRecorder:
        parts = urlsplit(dsn)
        datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"), host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
            user=unquote(parts.username or "postgres"), password=unquote(parts.password or ""),
            pool_size=pool_size(writers), schema=SCHEMA, originator_id_type="text",  # kokemus stream ids are text
        )
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        return cls(datastore, recorder, writers)

    def prepare(self, plans: Plan) -> list[list[list[StoredEvent]]]:
        return [
            [[StoredEvent(row["stream_id"], row["version"], TOPIC, _state(row)) for row in rows] for rows in appends]
            for appends in sealed_rows(plans)
        ]

    async def write(self, prepared: list[list[list[StoredEvent]]]) -> int:
        loop = asyncio.get_running_loop()
        written = await asyncio.gather(*(loop.run_in_executor(self.threads, self._writer, calls) for calls in prepared))
        return sum(written)

    def _writer(self, appends: list[list[StoredEvent]]) -> int:
        for stored in appends:
            self.recorder.insert_events(stored)
        return sum(len(stored) for stored in appends)

    async def read(self, page_size: int) -> int:
        return await asyncio.to_thread(self._read, page_size)

    def _read(self, page_size: int) -> int:
        read, after = 0, 0
        while notifications := self.recorder.select_notifications(after, page_size, inclusive_of_start=False):
            read += len(notifications)
            after = notifications[-1].id
        return read

    async def close(self) -> None:
        self.threads.shutdown()
        await asyncio.to_thread(self.datastore.close)


def _state(row: dict[str, Any]) -> bytes:
    return chain.canonical({name: row[name] for name in HASHED_FIELDS})

"""The PostgreSQL event store (asyncpg): one append-only, hash-chained event table per service schema.

Appends are one INSERT … SELECT statement, whatever the number of events: the previous event's hash is
checked inside the statement (so a stale head cache can never chain to the wrong event), a duplicate event
id is skipped (a retried command records once) and a duplicate (stream, version) is a concurrency conflict
that keeps nothing.

Reading and verifying: :mod:`shared.eventstore.postgres_reading`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import asyncpg
from opentelemetry import propagate

from shared.envelope import RecordedEvent
from shared.events import DomainEvent, NewEvent
from shared.eventstore import chain, codec, rows
from shared.eventstore.keyring import NO_KEY_RING, KeyRing, create_subject_keys, read_subject_keys
from shared.eventstore.port import ConcurrencyConflict, SubjectErased
from shared.eventstore.postgres_reading import HeadClaim, LogCursor, PostgresEventReader, kernel_schema_sql

__all__ = ["HeadClaim", "LogCursor", "PostgresEventStore", "kernel_schema_sql"]


class PostgresEventStore(PostgresEventReader):
    def __init__(self, pool: asyncpg.Pool, schema: str, service: str | None = None,
                 events: Iterable[type[DomainEvent]] = (), head_cache: int = 10_000,
                 key_ring: KeyRing = NO_KEY_RING) -> None:
        super().__init__(pool, schema, service, events, head_cache, key_ring)
        s = schema
        self._insert_many_sql = rows.insert_many_sql(s)
        self._insert_one_sql = rows.insert_one_sql(s)
        self._notify_sql = f"SELECT pg_notify('{s}_events', '')"
        self._notify_pending: asyncio.Task[None] | None = None
        self._notify_again = False
        self._relay_here: Callable[[], bool] | None = None

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
            sealed = codec.seal(stream_id, expected_version + 1, prev_hash, events, keys, trace, service=self.service)
            sql = self._insert_one_sql if len(sealed) == 1 else self._insert_many_sql
            arguments = rows.insert_arguments(sealed, expected_version, prev_hash)
            try:
                if len(sealed) > 1 and conn.is_in_transaction():
                    # A savepoint, so a conflict leaves the caller's transaction usable (to report it, or retry);
                    # one event's insert never fails on a conflict (see rows.insert_one_sql).
                    async with conn.transaction():
                        positions = await conn.fetch(sql, *arguments)
                else:
                    positions = await conn.fetch(sql, *arguments)
            except asyncpg.UniqueViolationError:
                self._heads.pop(stream_id, None)
                actual = await self._current_version(conn, stream_id)
                raise ConcurrencyConflict(stream_id, expected_version, actual) from None
            if len(positions) == len(sealed):
                self._remember_head(stream_id, sealed[-1].version, sealed[-1].hash)
                position_of = {record["event_id"]: record["position"] for record in positions}
                if not conn.is_in_transaction():
                    self.wake_relay()  # committed already; in a transaction, its commit is announced instead
                return [codec.just_recorded(envelope.model_copy(update={"position": position_of[event.event_id]}),
                                            event) for envelope, event in zip(sealed, events, strict=True)]
            if positions:
                # Only part of the batch was new: the caller reused event ids of another append.
                raise ValueError("an append mixed already-recorded event ids with new ones")
            already = await self._recorded_by_id(conn, [event.event_id for event in events])
            if len(already) == len(events):
                return already
        actual = await self._current_version(conn, stream_id)
        raise ConcurrencyConflict(stream_id, expected_version, actual)

    def committed(self) -> None:
        self.wake_relay()

    def relay_here(self, wake: Callable[[], bool] | None) -> None:
        """Let the relay of this process be woken directly: ``wake`` wakes it if it leads, and says whether it
        does. A commit then reaches the relay without a NOTIFY's round trip through PostgreSQL and its LISTEN
        connection; when another replica's relay leads, the NOTIFY goes out as before."""
        self._relay_here = wake

    def wake_relay(self, delay: float = 0.005) -> None:
        """Tell the relay (whichever replica leads) that events were committed.

        The NOTIFY goes out shortly after, from a connection of its own, once for a burst of commits: a NOTIFY
        inside the appending transaction would take PostgreSQL's notification lock through its commit and
        make concurrent writers commit one at a time. An append in autocommit announces itself; an append in
        a transaction is announced by whoever commits it (the unit of work, through :meth:`committed`), so the
        relay never wakes before the events are there to read. A wake that comes while the NOTIFY is already
        being sent sends another after it: that one may have reached the relay before this commit.
        """
        if self._relay_here is not None and self._relay_here():
            return
        self._notify_again = True
        if self._notify_pending is None or self._notify_pending.done():
            self._notify_pending = asyncio.get_running_loop().create_task(self._notify_after(delay))

    async def _notify_after(self, delay: float) -> None:
        while self._notify_again:
            await asyncio.sleep(delay)
            self._notify_again = False
            try:
                await self.pool.execute(self._notify_sql)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return  # the relay polls as well

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
        return bytes(head["hash"])

    async def _current_version(self, conn: asyncpg.Connection, stream_id: str) -> int:
        version: int = await conn.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {self.schema}.events WHERE stream_id = $1", stream_id
        )
        return version

    async def _keys_for_writing(self, conn: asyncpg.Connection, subjects: set[str | None]) -> dict[str, bytes]:
        wanted = sorted(subject for subject in subjects if subject is not None)
        if not wanted:
            return {}
        found = await read_subject_keys(conn, self.schema, self.key_ring, wanted)
        if missing := [subject for subject in wanted if subject not in found]:
            await create_subject_keys(conn, self.schema, self.key_ring, missing)
            found.update(await read_subject_keys(conn, self.schema, self.key_ring, missing))
        keys = {subject: key for subject, key in found.items() if key is not None}
        erased = [subject for subject in wanted if subject not in keys]
        if erased:
            raise SubjectErased(f"data subject {erased[0]} has been erased; no personal data can be recorded")
        return keys

    async def shred(self, subject_id: str, *, connection: Any = None) -> bool:
        result: str = await (connection or self.pool).execute(
            f"""INSERT INTO {self.schema}.subject_keys (subject_id, key, shredded_at) VALUES ($1, NULL, now())
                ON CONFLICT (subject_id) DO UPDATE SET key = NULL, shredded_at = now()
                WHERE {self.schema}.subject_keys.key IS NOT NULL""",
            subject_id,
        )
        return result.endswith(" 1")

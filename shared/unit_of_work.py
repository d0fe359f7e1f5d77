"""The unit of work: one transaction in which a command loads aggregates, records events and updates the
service's own views. Either all of it commits or none of it does.

The runtime opens the transaction of each command and of each consumed event and hands its
:class:`Session` to the handler in the handler's context, so a handler never opens one of its own and the
transaction it joins is visible in its signature. Jobs and queries open their own through
:meth:`UnitOfWork.begin`. Unit tests use :class:`InMemoryUnitOfWork`, the same port over the in-memory store.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

import asyncpg

from shared.aggregate import Aggregate, Metadata
from shared.envelope import RecordedEvent
from shared.errors import NotFound
from shared.events import NewEvent
from shared.eventstore.port import EventStore

A = TypeVar("A", bound=Aggregate)
Projector = Callable[[RecordedEvent, Any], Awaitable[None]]


class Session:
    """One open transaction (``connection`` is None in memory)."""

    def __init__(self, store: EventStore, connection: Any, project: Projector | None) -> None:
        self.store = store
        self.connection = connection
        self._project = project
        self.recorded: list[RecordedEvent] = []

    async def load(self, cls: type[A], aggregate_id: str, *, must_exist: bool = True, what: str | None = None) -> A:
        return await load(self.store, cls, aggregate_id, self.connection, must_exist=must_exist, what=what)

    async def save(self, item: Aggregate, meta: Metadata) -> list[RecordedEvent]:
        """Append the aggregate's new events at the version it was loaded at (a concurrent change is a
        conflict) and project them into the service's views, in this transaction."""
        if not item.pending:
            return []
        stream_id = item.stream_id(item.id)
        new = [
            NewEvent(payload=payload, actor=meta.actor, event_id=event_id, engagement_id=meta.engagement_id,
                     causation_id=meta.causation_id or meta.command_id,
                     correlation_id=meta.correlation_id or meta.command_id,
                     subject_id=item.subject_of(payload) or meta.subject_id)
            for payload, event_id in zip(item.pending, meta.event_ids(stream_id, len(item.pending)), strict=True)
        ]
        recorded = await self.store.append(stream_id, item.version, new, connection=self.connection)
        item.version += len(recorded)
        item.pending = []
        if self._project is not None:
            for event in recorded:
                await self._project(event, self.connection)
        self.recorded.extend(recorded)
        return recorded

    async def shred(self, subject_id: str) -> bool:
        """Destroy the subject's key in this service's store, in this transaction."""
        return await self.store.shred(subject_id, connection=self.connection)


async def load(store: EventStore, cls: type[A], aggregate_id: str, connection: Any = None, *,
               must_exist: bool = True, what: str | None = None) -> A:
    aggregate = cls(aggregate_id)
    for event in await store.read_stream(cls.stream_id(aggregate_id), connection=connection):
        aggregate.apply(event.payload)
        aggregate.version = event.version
    if must_exist and aggregate.version == 0:
        raise NotFound(f"no {what or cls.__name__.lower()} {aggregate_id}")
    return aggregate


class UnitOfWork(Protocol):
    """Transactions over the service's event store and views."""

    store: EventStore

    def begin(self, connection: Any = None) -> contextlib.AbstractAsyncContextManager[Session]:
        """A transaction; with ``connection``, a savepoint inside that connection's open transaction."""
        ...

    async def load(self, cls: type[A], aggregate_id: str, *, must_exist: bool = True, what: str | None = None) -> A:
        """An aggregate as it stands, read outside any transaction (for queries)."""
        ...


class PostgresUnitOfWork:
    def __init__(self, store: EventStore, pool: asyncpg.Pool, project: Projector | None = None) -> None:
        self.store = store
        self.pool = pool
        self.project = project

    @contextlib.asynccontextmanager
    async def begin(self, connection: Any = None) -> AsyncIterator[Session]:
        if connection is not None:
            outermost = not connection.is_in_transaction()
            async with connection.transaction():
                nested = Session(self.store, connection, self.project)
                yield nested
            if nested.recorded and outermost:
                self.store.committed()
            return
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                session = Session(self.store, conn, self.project)
                yield session
            if session.recorded:
                self.store.committed()  # only now may the relay read them

    async def load(self, cls: type[A], aggregate_id: str, *, must_exist: bool = True, what: str | None = None) -> A:
        return await load(self.store, cls, aggregate_id, must_exist=must_exist, what=what)


class InMemoryUnitOfWork:
    """For unit tests of handlers: the in-memory store, and the in-memory views' projection when given.
    Nothing is rolled back: a unit test sees what a handler recorded before it failed."""

    def __init__(self, store: EventStore, project: Projector | None = None) -> None:
        self.store = store
        self.project = project

    @contextlib.asynccontextmanager
    async def begin(self, connection: Any = None) -> AsyncIterator[Session]:
        yield Session(self.store, connection, self.project)

    async def load(self, cls: type[A], aggregate_id: str, *, must_exist: bool = True, what: str | None = None) -> A:
        return await load(self.store, cls, aggregate_id, must_exist=must_exist, what=what)

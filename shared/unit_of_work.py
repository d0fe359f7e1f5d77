"""The unit of work: one transaction in which a command loads aggregates, records events and updates the
service's own read tables. Either all of it commits or none of it does.

Handlers get a :class:`UnitOfWork`; unit tests give them :class:`InMemoryUnitOfWork` instead.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from shared import aggregate
from shared.aggregate import Aggregate, Metadata, Projector
from shared.events import RecordedEvent
from shared.eventstore.port import EventStore


# The transaction of the command being handled (set by the request-reply endpoint), which every unit of work
# of that command joins, so the command's events and its stored reply commit together.
COMMAND_TRANSACTION: contextvars.ContextVar[asyncpg.Connection | None] = contextvars.ContextVar(
    "command_transaction", default=None
)


class Session:
    def __init__(self, store: EventStore, connection: Any, project: Projector | None) -> None:
        self.store = store
        self.connection = connection
        self._project = project
        self.recorded: list[RecordedEvent] = []

    async def load(self, cls: type[Aggregate], aggregate_id: str, *, must_exist: bool = True, what: str | None = None) -> Any:
        return await aggregate.load(self.store, cls, aggregate_id, self.connection, must_exist=must_exist, what=what)

    async def save(self, item: Aggregate, meta: Metadata) -> list[RecordedEvent]:
        recorded = await aggregate.save(self.store, item, meta, self.connection, self._project)
        self.recorded.extend(recorded)
        return recorded


class UnitOfWork:
    def __init__(self, store: EventStore, pool: asyncpg.Pool, project: Projector | None = None) -> None:
        self.store = store
        self.pool = pool
        self.project = project

    @contextlib.asynccontextmanager
    async def begin(self, connection: asyncpg.Connection | None = None) -> AsyncIterator[Session]:
        """A transaction; inside an event handler, pass its connection to join the handler's transaction."""
        connection = connection or COMMAND_TRANSACTION.get()
        if connection is not None:
            async with connection.transaction():
                yield Session(self.store, connection, self.project)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            yield Session(self.store, conn, self.project)


class InMemoryUnitOfWork:
    """For unit tests of handlers: the in-memory store, no read tables."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.pool = None

    @contextlib.asynccontextmanager
    async def begin(self, connection: Any = None) -> AsyncIterator[Session]:
        yield Session(self.store, None, None)

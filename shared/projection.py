"""Views kept from events: a projection has one ``on_<EventType>(payload, connection, event)`` method per
event it follows, and :meth:`Projection.project` calls the one that fits.

The same class serves a service's own events (called inside the recording transaction) and another
service's events (called by a handler inside the consuming transaction). The in-memory views of unit tests
follow the same events with the same method names.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.envelope import Envelope


class Projection:
    def follows(self) -> set[str]:
        return {name[3:] for name in dir(self) if name.startswith("on_")}

    async def project(self, event: Envelope[Any], connection: Any) -> None:
        method = getattr(self, f"on_{event.event_type}", None)
        if method is not None:
            await method(event.payload, connection, event)


class PostgresViews(Projection):
    """A service's views in PostgreSQL: its tables in the service's schema, read through the pool. The
    runtime also makes views without a pool (for the AsyncAPI documents), which must never be read."""

    def __init__(self, pool: asyncpg.Pool | None, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    @property
    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError(f"the {self.schema} views were made without a database")
        return self.pool

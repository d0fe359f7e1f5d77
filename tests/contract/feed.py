"""The views contract's harness: a service's views in memory or in PostgreSQL, fed with the services' own events
recorded in event stores of the same kind (see tests/contract/conftest.py for the one contract)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from kokemus.stack.provision import drop_database, provision
from services import definitions
from services.audit.views import InMemoryAuditTables
from services.contracts import events as contracts
from services.contracts.views import InMemoryContractsViews
from services.feedback.views import InMemoryFeedbackViews
from services.orders import events as orders
from services.orders.events import FeeMode, FeeTerms, TaskType
from services.orders.views import InMemoryOrdersViews
from services.registry.views.in_memory import InMemoryRegistryViews
from shared.envelope import Published, RecordedEvent
from shared.events import Actor, DomainEvent, NewEvent, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import EventStore
from shared.eventstore.postgres import PostgresEventStore
from tests.subjects import subject_of

ACTOR = Actor(id="coordinator-1", role=Role.coordinator, organization_id="county")

FAKES: dict[str, Callable[[], Any]] = {
    "registry": InMemoryRegistryViews, "orders": InMemoryOrdersViews, "contracts": InMemoryContractsViews,
    "feedback": InMemoryFeedbackViews, "audit": InMemoryAuditTables,
}
# The services whose events each service's views are kept from, besides its own.
FOLLOWS: dict[str, tuple[str, ...]] = {
    "registry": ("orders",), "orders": ("registry",), "contracts": (), "feedback": ("orders",),
    "audit": ("registry", "orders", "contracts", "feedback"),
}


def publisher(payload: DomainEvent) -> str:
    """The service whose events.py defines the event."""
    return type(payload).__module__.split(".")[1]


def ids(count: int) -> list[uuid.UUID]:
    """Random ids in ascending order: given to things in the order they happen, so that an answer ordered by
    time differs from one ordered by id."""
    return sorted(uuid.uuid4() for _ in range(count))


def as_set(found: Iterable[Any]) -> set[Any]:
    """A list whose order the port leaves open, as a set; it must not name anything twice."""
    found = list(found)
    assert len(found) == len(set(found)), f"named twice: {found}"
    return set(found)


@dataclass
class Feed:
    """One implementation of a service's views, and event stores of the same kind for the service and the
    services whose events it follows."""

    service: str
    views: Any
    stores: dict[str, EventStore]
    pool: asyncpg.Pool | None = None  # the service's own database; None in memory

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A transaction of the service: its connection, or None in memory."""
        if self.pool is None:
            yield None
            return
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection

    async def record(self, stream_id: str, payload: DomainEvent, *, engagement_id: uuid.UUID | None = None,
                     connection: Any = None) -> RecordedEvent:
        """Record the event in its publisher's store, as the next version of ``stream_id``."""
        store = self.stores[publisher(payload)]
        version = len(await store.read_stream(stream_id))
        [event] = await store.append(stream_id, version, [NewEvent(payload, ACTOR, engagement_id=engagement_id,
                                                                          subject_id=subject_of(payload))],
                                     connection=connection)
        await asyncio.sleep(0.001)  # the next event is recorded strictly later, in memory too
        return event

    async def follow(self, stream_id: str, payload: DomainEvent, *,
                     engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        """Record the event and let the views follow it."""
        own = publisher(payload) == self.service
        if not own:
            event = await self.record(stream_id, payload, engagement_id=engagement_id)
        async with self.transaction() as connection:
            if own:
                event = await self.record(stream_id, payload, engagement_id=engagement_id, connection=connection)
            await self.views.project(event, connection)
        return event

    async def within(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call a method of the port that takes the caller's connection, inside a transaction."""
        async with self.transaction() as connection:
            return await method(*args, connection)

    async def published(self, event: RecordedEvent) -> Published:
        """The event as its service published it (personal fields sealed), through JSON as on the bus."""
        store = self.stores[event.service]
        if isinstance(store, InMemoryEventStore):
            stored = list(store.published)
        else:
            stored = [envelope async for envelope in store.published_in_stream_order()]
        [envelope] = [envelope for envelope in stored if envelope.event_id == event.event_id]
        return Published.model_validate_json(envelope.model_dump_json())


@contextlib.asynccontextmanager
async def in_memory(service: str) -> AsyncIterator[Feed]:
    stores = {name: InMemoryEventStore(name, definitions()[name].events) for name in (service, *FOLLOWS[service])}
    yield Feed(service, FAKES[service](), stores)


@contextlib.asynccontextmanager
async def in_postgres(servers: Any, service: str) -> AsyncIterator[Feed]:
    """A database with the service's schema and tables, and a schema with only the event table for each
    service it follows, each owned by that service's role."""
    names = (service, *FOLLOWS[service])
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    dsns = await provision(servers.admin_dsn, database,
                           {name: definitions()[name].sql if name == service else () for name in names})
    pools: dict[str, asyncpg.Pool] = {}
    try:
        for name in names:
            pools[name] = await asyncpg.create_pool(dsns[name], min_size=1, max_size=4)
        stores = {name: PostgresEventStore(pools[name], name, name, definitions()[name].events) for name in names}
        yield Feed(service, definitions()[service].views(pools[service], service), stores, pools[service])
    finally:
        for pool in pools.values():
            await pool.close()
        await drop_database(servers.admin_dsn, database)


# -- events more than one service's views follow ---------------------------------------------------------

FEE = FeeTerms(mode=FeeMode.recommended)
AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def opened(engagement_id: uuid.UUID, expert_id: str, orderer_id: str, day: dt.date) -> orders.EngagementOpened:
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
        orderer_id=orderer_id, task_type=TaskType.lecture, topic="recovery", date=day,
        duration_hours=Decimal("2"), remote=False, fee=FEE)


def drafted(engagement_id: uuid.UUID, expert_id: str, orderer_id: str, fee_basis: str) -> contracts.ContractDrafted:
    return contracts.ContractDrafted(
        contract_id=uuid.uuid4(), engagement_id=engagement_id, expert_id=expert_id, orderer_id=orderer_id,
        fee_basis=fee_basis, rate_table_id="rates-2026" if fee_basis == "recommended" else None,
        hourly_fee=Decimal("50.00"), fixed_fee=None, minimum_fee=Decimal("40.00"), mileage_per_km=Decimal("0.25"),
        expenses_reimbursed=True, cancellation_fee_share=Decimal("0.5"), duration_hours=Decimal("2"))

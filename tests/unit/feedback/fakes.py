"""The feedback service on its in-memory views and store, a clock, and a way to deliver the orders and
registry events its consumers take."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from services.feedback import events as ev
from services.feedback.handlers import CONSUMES
from services.feedback.service import Deps, compose
from services.feedback.views import InMemoryFeedbackViews
from services.orders import events as orders
from services.orders.events import FeeMode, FeeTerms, TaskType
from services.registry import events as registry
from shared.clock import Clock
from shared.envelope import RecordedEvent
from shared.events import Actor, DomainEvent, NewEvent, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.subjects import subject_of
from tests.unit.calls import consume

ORDERER = Actor(id="orderer-1", role=Role.orderer)
EXPERT = Actor(id="expert-1", role=Role.expert)
COORDINATOR = Actor(id="coordinator-1", role=Role.coordinator)


class MovableClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_deps(clock: MovableClock) -> Deps:
    views = InMemoryFeedbackViews()
    store = InMemoryEventStore("feedback", events_in(ev))
    return compose(InMemoryUnitOfWork(store, views.project), views, clock=Clock(clock))


class Upstream:
    """Records events in the orders and registry stores, as those services would, and hands each to the
    feedback handler its consumer would call."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.stores = {"orders": InMemoryEventStore("orders", events_in(orders)),
                       "registry": InMemoryEventStore("registry", events_in(registry))}
        self.versions: dict[str, int] = {}

    async def record(self, service: str, stream_id: str, payload: DomainEvent,
                     engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        version = self.versions.get(stream_id, 0)
        [event] = await self.stores[service].append(
            stream_id, version, [NewEvent(payload=payload, actor=Actor(id="system", role=Role.system),
                                          engagement_id=engagement_id, subject_id=subject_of(payload))])
        self.versions[stream_id] = version + 1
        return event

    async def deliver(self, service: str, event: RecordedEvent) -> None:
        handler = {cls.event_type(): handler for cls, handler in CONSUMES[service].items()}[event.event_type]
        await consume(handler, event, self.deps)

    async def publish(self, service: str, stream_id: str, payload: DomainEvent,
                      engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        event = await self.record(service, stream_id, payload, engagement_id)
        await self.deliver(service, event)
        return event

    async def open(
        self, engagement_id: uuid.UUID, expert_id: str = EXPERT.id, orderer_id: str = ORDERER.id,
        task_type: TaskType = TaskType.lecture, order_id: uuid.UUID | None = None,
    ) -> RecordedEvent:
        return await self.publish("orders", f"engagement-{engagement_id}", engagement_opened(
            engagement_id, expert_id, orderer_id, task_type, order_id), engagement_id)

    async def deliver_engagement(self, engagement_id: uuid.UUID) -> RecordedEvent:
        return await self.publish("orders", f"engagement-{engagement_id}", orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=Decimal("2"), kilometres=Decimal("12")), engagement_id)

    async def open_and_deliver(self, engagement_id: uuid.UUID, expert_id: str = EXPERT.id,
                               orderer_id: str = ORDERER.id, task_type: TaskType = TaskType.lecture,
                               order_id: uuid.UUID | None = None) -> RecordedEvent:
        await self.open(engagement_id, expert_id, orderer_id, task_type, order_id)
        return await self.deliver_engagement(engagement_id)


def engagement_opened(engagement_id: uuid.UUID, expert_id: str, orderer_id: str,
                      task_type: TaskType = TaskType.lecture, order_id: uuid.UUID | None = None
                      ) -> orders.EngagementOpened:
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=order_id or uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
        orderer_id=orderer_id, task_type=task_type, topic="living with psychosis",
        date=dt.date(2024, 3, 1), duration_hours=Decimal("2"), remote=False,
        fee=FeeTerms(mode=FeeMode.recommended),
    )

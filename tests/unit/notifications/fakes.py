"""The notifications service on its in-memory views and store, senders that record what they were given, and
a way to deliver the other services' events its consumers take."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications import events as ev, messages as m
from services.notifications.domain.notification import Delivery, Outcome
from services.notifications.domain.templates import Message
from services.notifications.handlers import CONSUMES, set_contact
from services.notifications.service import Deps, compose
from services.notifications.settings import NotifySettings
from services.notifications.views import InMemoryNotificationViews
from services.orders import events as orders
from services.registry import events as registry
from shared.clock import Clock
from shared.envelope import RecordedEvent
from shared.events import SYSTEM, Actor, DomainEvent, NewEvent, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.subjects import subject_of
from tests.unit.calls import call, consume

BASE_URL = "https://kokemus.example.fi"


@dataclass
class Sent:
    address: str
    message: Message
    reference: uuid.UUID


@dataclass
class RecordingSender:
    """Takes every message, or answers with the outcomes it is told to, one per attempt."""

    sent: list[Sent] = field(default_factory=list)
    outcomes: deque[Delivery] = field(default_factory=deque)

    async def send(self, address: str, message: Message, reference: uuid.UUID) -> Delivery:
        delivery = self.outcomes.popleft() if self.outcomes else Delivery(Outcome.sent)
        if delivery.outcome is Outcome.sent:
            self.sent.append(Sent(address, message, reference))
        return delivery


class MovableClock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_deps(clock: MovableClock, email: RecordingSender, sms: RecordingSender) -> Deps:
    views = InMemoryNotificationViews()
    store = InMemoryEventStore("notifications", events_in(ev))
    return compose(InMemoryUnitOfWork(store, views.project), views, clock=Clock(clock),
                   notify=NotifySettings(web_base_url=BASE_URL, retry_first_seconds=60, max_attempts=3),
                   senders={ev.Channel.email: email, ev.Channel.sms: sms})


async def contact(deps: Deps, actor: Actor, **details: Any) -> Any:
    """The person gives their contact details (``set_contact``), as themselves or as a coordinator."""
    return await call(set_contact, m.SetContact(**details), actor, deps)


class Upstream:
    """Records events in the other services' stores, as they would, and hands each to the handler the
    notifications consumer would call."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.stores = {name: InMemoryEventStore(name, events_in(module)) for name, module in (
            ("orders", orders), ("contracts", contracts), ("feedback", feedback), ("registry", registry))}
        self.versions: dict[str, int] = {}

    async def publish(self, service: str, payload: DomainEvent, engagement_id: uuid.UUID | None = None,
                      stream_id: str | None = None) -> RecordedEvent:
        stream_id = stream_id or f"stream-{uuid.uuid4()}"
        version = self.versions.get(stream_id, 0)
        [event] = await self.stores[service].append(stream_id, version, [NewEvent(
            payload=payload, actor=SYSTEM, engagement_id=engagement_id, subject_id=subject_of(payload))])
        self.versions[stream_id] = version + 1
        await self.deliver(service, event)
        return event

    async def deliver(self, service: str, event: RecordedEvent) -> None:
        handler = {cls.event_type(): handler for cls, handler in CONSUMES[service].items()}[event.event_type]
        await consume(handler, event, self.deps)

    async def offer(self, expert_id: str) -> RecordedEvent:
        return await self.publish("orders", orders.OfferMade(
            order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7)))

    async def open(self, engagement_id: uuid.UUID, expert_id: str, orderer_id: str) -> RecordedEvent:
        return await self.publish("orders", orders.EngagementOpened(
            engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
            orderer_id=orderer_id, task_type=orders.TaskType.lecture, topic="living with psychosis",
            date=dt.date(2026, 3, 1), duration_hours=Decimal("2"), remote=False,
            fee=orders.FeeTerms(mode=orders.FeeMode.recommended), place="Turku"), engagement_id)

"""In-memory stand-ins for the feedback service's adapters: the read side, a projecting unit of work, a clock,
and a way to deliver the orders and registry events its consumers take."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.events import Actor, DomainEvent, NewEvent, RecordedEvent, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.messaging.consumer import HandlerContext
from shared.projection import Projection
from shared.unit_of_work import Session
from services.feedback import events as ev
from services.feedback.domain import MAX_REMINDERS, Status
from services.feedback.handlers import EVENT_HANDLERS, Deps
from services.feedback.projections import Parties
from services.feedback.report import FormRecord
from services.orders import events as orders
from services.orders.events import FeeMode, FeeTerms, TaskType

ORDERER = Actor(id="orderer-1", role=Role.orderer)
EXPERT = Actor(id="expert-1", role=Role.expert)
COORDINATOR = Actor(id="coordinator-1", role=Role.coordinator)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class _Form:
    requested_at: dt.datetime
    last_prompted_at: dt.datetime
    reminders_sent: int = 0
    status: Status = Status.open
    ratings: dict[str, int] | None = None


class InMemoryFeedbackTables(Projection):
    """The FeedbackView port in dicts; kept from the same events as the PostgreSQL tables."""

    def __init__(self) -> None:
        super().__init__("memory")
        self.engagements: dict[uuid.UUID, Parties] = {}
        self.forms: dict[tuple[uuid.UUID, ev.Form], _Form] = {}

    async def remember_engagement(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        self.engagements[engagement_id] = parties

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None:
        if engagement_id in self.engagements:
            parties = self.engagements[engagement_id]
            self.engagements[engagement_id] = Parties(parties.expert_id, parties.orderer_id, cancelled=True)

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None:
        return self.engagements.get(engagement_id)

    async def engagements_of(self, expert_id: str, connection: Any = None) -> list[uuid.UUID]:
        return [eid for eid, parties in self.engagements.items() if parties.expert_id == expert_id]

    async def on_FeedbackRequested(self, e: ev.FeedbackRequested, conn: Any, event: RecordedEvent) -> None:
        at = e.requested_at or event.recorded_at
        self.forms.setdefault((e.engagement_id, e.form), _Form(at, at))

    async def on_FeedbackReminderSent(self, e: ev.FeedbackReminderSent, conn: Any, event: RecordedEvent) -> None:
        form = self.forms[(e.engagement_id, e.form)]
        form.reminders_sent, form.last_prompted_at = e.reminder_number, e.sent_at or event.recorded_at

    async def on_FeedbackSubmitted(self, e: ev.FeedbackSubmitted, conn: Any, _: RecordedEvent) -> None:
        form = self.forms[(e.engagement_id, e.form)]
        form.status, form.ratings = Status.answered, dict(e.ratings)

    async def on_FeedbackClosedUnanswered(self, e: ev.FeedbackClosedUnanswered, conn: Any, _: RecordedEvent) -> None:
        self.forms[(e.engagement_id, e.form)].status = Status.closed

    async def due_for_reminder(self, prompted_before: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
        due = {eid for (eid, _), form in self.forms.items()
               if form.status is Status.open and form.reminders_sent < MAX_REMINDERS
               and form.last_prompted_at <= prompted_before}
        return sorted(due)[:limit]

    async def forms_requested(self, begins: dt.datetime, ends: dt.datetime) -> list[FormRecord]:
        return [FormRecord(eid, form_name, form.requested_at, form.status, form.ratings)
                for (eid, form_name), form in self.forms.items() if begins <= form.requested_at < ends]


class ProjectingUnitOfWork:
    """The in-memory unit of work, also keeping the in-memory read tables from the recorded events."""

    def __init__(self, store: InMemoryEventStore, tables: InMemoryFeedbackTables) -> None:
        self.store = store
        self.tables = tables
        self.pool = None

    @contextlib.asynccontextmanager
    async def begin(self, connection: Any = None) -> AsyncIterator[Session]:
        yield Session(self.store, None, self.tables)


def make_deps(clock: Clock) -> Deps:
    store = InMemoryEventStore("feedback")
    tables = InMemoryFeedbackTables()
    return Deps(uow=ProjectingUnitOfWork(store, tables), store=store, view=tables, now=clock)


class Upstream:
    """Records events in the orders and registry stores, as those services would, and hands each to the
    feedback handler its consumer would call."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.stores = {"orders": InMemoryEventStore("orders"), "registry": InMemoryEventStore("registry")}
        self.versions: dict[str, int] = {}

    async def record(self, service: str, stream_id: str, payload: DomainEvent,
                     engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        version = self.versions.get(stream_id, 0)
        [event] = await self.stores[service].append(
            stream_id, version, [NewEvent(payload=payload, actor=Actor(id="system", role=Role.system),
                                          engagement_id=engagement_id)])
        self.versions[stream_id] = version + 1
        return event

    async def deliver(self, service: str, event: RecordedEvent) -> None:
        handler = EVENT_HANDLERS[service][event.event_type]
        await handler(event, HandlerContext(connection=None, consumer=f"feedback-from-{service}"), self.deps)

    async def publish(self, service: str, stream_id: str, payload: DomainEvent,
                      engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        event = await self.record(service, stream_id, payload, engagement_id)
        await self.deliver(service, event)
        return event

    async def open(self, engagement_id: uuid.UUID, expert_id: str = EXPERT.id, orderer_id: str = ORDERER.id) -> RecordedEvent:
        return await self.publish("orders", f"engagement-{engagement_id}", engagement_opened(
            engagement_id, expert_id, orderer_id), engagement_id)

    async def deliver_engagement(self, engagement_id: uuid.UUID) -> RecordedEvent:
        return await self.publish("orders", f"engagement-{engagement_id}", orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=Decimal("2"), kilometres=Decimal("12")), engagement_id)

    async def open_and_deliver(self, engagement_id: uuid.UUID, expert_id: str = EXPERT.id,
                               orderer_id: str = ORDERER.id) -> RecordedEvent:
        await self.open(engagement_id, expert_id, orderer_id)
        return await self.deliver_engagement(engagement_id)


def engagement_opened(engagement_id: uuid.UUID, expert_id: str, orderer_id: str) -> orders.EngagementOpened:
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
        orderer_id=orderer_id, task_type=TaskType.lecture, topic="living with psychosis",
        date=dt.date(2024, 3, 1), duration_hours=Decimal("2"), remote=False,
        fee=FeeTerms(mode=FeeMode.recommended),
    )

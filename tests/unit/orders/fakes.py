"""The orders service on its in-memory views and store: a world to test in."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.contracts.events import ContractCancelled, ContractFullySigned, FeeApproved, FeePaid
from services.feedback.events import FeedbackCompleted, FeedbackSubmitted, Form
from services.orders import events, handlers as h, messages as m
from services.orders.domain import Agreement, Credentials, Engagement
from services.orders.events import FeeMode, FeeTerms, TaskType
from services.orders.service import compose
from services.orders.views import InMemoryOrdersViews
from shared.clock import Clock
from shared.envelope import RecordedEvent
from shared.events import SYSTEM, Actor, NewEvent, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.unit.calls import call, consume

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TASK_DAY = dt.date(2026, 3, 20)

COORDINATOR = Actor(id="coord", role=Role.coordinator, organization_id="varha")
AUDITOR = Actor(id="auditor", role=Role.auditor)
CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
ORDERER = Actor(id="school-1", role=Role.orderer)
OTHER_ORDERER = Actor(id="school-2", role=Role.orderer)
WARD = Actor(id="ward-1", role=Role.orderer)  # of the county's own services
EXPERT = Actor(id="maija", role=Role.expert)
OTHER_EXPERT = Actor(id="pekka", role=Role.expert)


@dataclass
class MovableClock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    """The orders service on the in-memory store, with a listed expert and an orderer with credentials."""

    store: InMemoryEventStore = field(default_factory=lambda: InMemoryEventStore("orders", events_in(events)))
    clock: MovableClock = field(default_factory=MovableClock)

    def __post_init__(self) -> None:
        self.views = InMemoryOrdersViews()
        self.deps = compose(InMemoryUnitOfWork(self.store, self.views.project), self.views, clock=Clock(self.clock),
                            requester=self.registry)
        self.away: dict[str, set[dt.date]] = {}  # the experts' dates away, as the registry keeps them
        self.asked_as: list[str | None] = []  # the token each question to the registry carried
        self.views.orderers[ORDERER.id] = Credentials(ORDERER.id, "school-org")
        self.views.orderers[OTHER_ORDERER.id] = Credentials(OTHER_ORDERER.id)
        self.views.orderers[WARD.id] = Credentials(WARD.id, "varha")
        self.views.kinds["varha"] = "county"
        self.list_expert(EXPERT.id, county_trained=True)
        self.list_expert(OTHER_EXPERT.id, county_trained=True)

    async def registry(self, subject: str, payload: dict[str, Any], *, token: str | None = None) -> Any:
        """The registry's answer to orders' one question: which experts are away on the day."""
        assert subject == "kokemus.registry.query.experts_away", subject
        self.asked_as.append(token)
        day = dt.date.fromisoformat(payload["date"])
        return {"date": payload["date"], "away": [e for e in payload["expert_ids"] if day in self.away.get(e, ())]}

    def list_expert(self, expert_id: str, county_trained: bool = False, ngo: bool = True,
                    agreements: tuple[Agreement, ...] = ()) -> None:
        self.views.listed[expert_id] = (["mieli"], county_trained)
        self.views.kinds["mieli"] = "ngo" if ngo else "county"
        for agreement_id in [key for key in self.views.agreements if key[0] == "mieli"]:
            del self.views.agreements[agreement_id]
        for n, agreement in enumerate(agreements):
            self.views.agreements[("mieli", f"agreement-{n}")] = agreement

    async def events(self, event_type: str) -> list[RecordedEvent]:
        return [e for e in await self.store.read_all() if e.event_type == event_type]

    async def order(self, actor: Actor = ORDERER, **terms: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "task_type": TaskType.lecture, "topic": "living with psychosis", "date": TASK_DAY,
            "duration_hours": Decimal(2), "place": "Turku", "experts_wanted": 1,
            "fee": FeeTerms(mode=FeeMode.recommended),
        }
        values.update(terms)
        placed = await call(h.place_order, m.PlaceOrder(**values), actor, self.deps)
        return uuid.UUID(placed["order_id"])

    async def offer(
        self, order_id: uuid.UUID, expert: Actor = EXPERT, actor: Actor = ORDERER, **extra: Any
    ) -> uuid.UUID:
        made = await call(h.make_offer, m.MakeOffer(order_id=order_id, expert_id=expert.id, **extra), actor, self.deps)
        return uuid.UUID(made["offer_id"])

    async def accept(self, order_id: uuid.UUID, offer_id: uuid.UUID, expert: Actor = EXPERT, **extra: Any) -> uuid.UUID:
        accepted = await call(
            h.accept_offer, m.AnswerOffer(order_id=order_id, offer_id=offer_id, **extra), expert, self.deps
        )
        return uuid.UUID(accepted["engagement_id"])

    async def engagement(self, **terms: Any) -> tuple[uuid.UUID, uuid.UUID]:
        """A new order, offered to and accepted by EXPERT: (order id, engagement id)."""
        order_id = await self.order(**terms)
        return order_id, await self.accept(order_id, await self.offer(order_id))

    async def engagement_state(self, engagement_id: uuid.UUID) -> Engagement:
        return await self.deps.uow.load(Engagement, str(engagement_id))


# -- other services' events, as they reach orders ----------------------------------------------------

async def published_by(service, payload, engagement_id):
    """An event as another service records and publishes it (envelope metadata included)."""
    store = InMemoryEventStore(service, [type(payload)])
    [event] = await store.append(
        f"{service}-{uuid.uuid4()}", 0, [NewEvent(payload, SYSTEM, engagement_id=engagement_id,
                                            subject_id=getattr(payload, "expert_id", None))]
    )
    return event


async def signed(world, engagement_id):
    event = await published_by("contracts", ContractFullySigned(contract_id=uuid.uuid4(), engagement_id=engagement_id),
                               engagement_id)
    await consume(h.confirm_engagement, event, world.deps)
    return event


async def delivered(world, engagement_id):
    await signed(world, engagement_id)
    await call(
        h.confirm_delivery,
        m.ConfirmDelivery(engagement_id=engagement_id, actual_hours=Decimal(2), kilometres=Decimal(30)),
        ORDERER,
        world.deps,
    )


async def fee_approved(world, engagement_id):
    event = await published_by("contracts", FeeApproved(
        contract_id=uuid.uuid4(), engagement_id=engagement_id, fee=Decimal(60), mileage=Decimal("7.5"),
        other_expenses=Decimal(0), total=Decimal("67.5")), engagement_id)
    await consume(h.note_fee_approved, event, world.deps)
    return event


async def feedback_completed(world, engagement_id):
    event = await published_by("feedback", FeedbackCompleted(engagement_id=engagement_id), engagement_id)
    await consume(h.note_feedback_complete, event, world.deps)
    return event


async def form_in(world, engagement_id, form: Form, respondent_id: str):
    event = await published_by("feedback", FeedbackSubmitted(engagement_id=engagement_id, form=form,
                                                             respondent_id=respondent_id, ratings={}), engagement_id)
    await consume(h.note_form_in, event, world.deps)
    return event


async def contract_cancelled(world, engagement_id, fee_owed: Decimal, contract_id: uuid.UUID):
    event = await published_by("contracts", ContractCancelled(contract_id=contract_id, engagement_id=engagement_id,
                                                              fee_owed=fee_owed), engagement_id)
    await consume(h.note_cancellation_terms, event, world.deps)
    return event


async def fee_paid(world, engagement_id, contract_id: uuid.UUID, includes_fee: bool = True):
    event = await published_by("contracts", FeePaid(contract_id=contract_id, engagement_id=engagement_id,
                                                    total=Decimal(30), paid_on=NOW.date(), includes_fee=includes_fee),
                               engagement_id)
    await consume(h.note_fee_paid, event, world.deps)
    return event

"""An in-memory fake of the orders read model (same port as ``PostgresReadModel``), and a world to test in."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared import aggregate
from shared.events import Actor, RecordedEvent, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from services.orders import handlers as h
from services.orders import messages as m
from services.orders.domain import (
    Agreement, Credentials, Engagement, EngagementStatus, ListedExpert, Membership, OfferStatus, Order,
)
from services.orders.events import FeeMode, FeeTerms, TaskType

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TASK_DAY = dt.date(2026, 3, 20)

COORDINATOR = Actor(id="coord", role=Role.coordinator, organization_id="varha")
AUDITOR = Actor(id="auditor", role=Role.auditor)
CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
ORDERER = Actor(id="school-1", role=Role.orderer)
OTHER_ORDERER = Actor(id="school-2", role=Role.orderer)
EXPERT = Actor(id="maija", role=Role.expert)
OTHER_EXPERT = Actor(id="pekka", role=Role.expert)


class FakeReadModel:
    """What the registry's events would have put in the read tables, set by the test; the rest derived
    from the orders events in the in-memory store, as the projections would keep it."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store
        self.experts: dict[str, ListedExpert] = {}
        self.orderers: dict[str, Credentials] = {}

    async def credentials(self, orderer_id: str) -> Credentials | None:
        return self.orderers.get(orderer_id)

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        return self.experts.get(expert_id)

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        due = []
        for order_id in await self._ids("OfferMade", "order_id"):
            order = await aggregate.load(self.store, Order, str(order_id))
            if any(o.status is OfferStatus.open and o.expires_at <= now for o in order.offers.values()):
                due.append(order_id)
        return due

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        found = []
        for engagement_id in reversed(await self._ids("EngagementOpened", "engagement_id")):
            e = await aggregate.load(self.store, Engagement, str(engagement_id))
            if (orderer_id in (None, e.orderer_id) and expert_id in (None, e.expert_id)
                    and status in (None, e.status)):
                found.append({"engagement_id": e.engagement_id, "order_id": e.order_id, "offer_id": e.offer_id,
                              "expert_id": e.expert_id, "orderer_id": e.orderer_id, "task_type": e.task_type.value,
                              "date": e.date, "status": e.status.value})
        return found

    async def _ids(self, event_type: str, name: str) -> list[uuid.UUID]:
        ids = [getattr(e.payload, name) for e in await self.store.read_all() if e.event_type == event_type]
        return list(dict.fromkeys(ids))


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    """The orders service on the in-memory store, with a listed expert and an orderer with credentials."""

    store: InMemoryEventStore = field(default_factory=lambda: InMemoryEventStore("orders"))
    clock: Clock = field(default_factory=Clock)
    registry_facts: list[RecordedEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.read_model = FakeReadModel(self.store)
        self.deps = h.Deps(uow=InMemoryUnitOfWork(self.store), read_model=self.read_model,
                           registry_view=self._keep, now=self.clock)
        self.read_model.orderers[ORDERER.id] = Credentials(ORDERER.id, "school-org")
        self.read_model.orderers[OTHER_ORDERER.id] = Credentials(OTHER_ORDERER.id)
        self.list_expert(EXPERT.id, county_trained=True)
        self.list_expert(OTHER_EXPERT.id, county_trained=True)

    async def _keep(self, event: RecordedEvent, _: Any) -> None:
        self.registry_facts.append(event)

    def list_expert(self, expert_id: str, county_trained: bool = False, ngo: bool = True,
                    agreements: tuple[Agreement, ...] = ()) -> None:
        self.read_model.experts[expert_id] = ListedExpert(
            expert_id, county_trained, (Membership("mieli", is_ngo=ngo, agreements=agreements),))

    async def events(self, event_type: str) -> list[RecordedEvent]:
        return [e for e in await self.store.read_all() if e.event_type == event_type]

    async def order(self, actor: Actor = ORDERER, **terms: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "task_type": TaskType.lecture, "topic": "living with psychosis", "date": TASK_DAY,
            "duration_hours": Decimal(2), "place": "Turku", "experts_wanted": 1,
            "fee": FeeTerms(mode=FeeMode.recommended),
        }
        values.update(terms)
        placed = await h.place_order(m.PlaceOrder(actor=actor, **values), self.deps)
        return uuid.UUID(placed["order_id"])

    async def offer(self, order_id: uuid.UUID, expert: Actor = EXPERT, actor: Actor = ORDERER, **extra: Any) -> uuid.UUID:
        made = await h.make_offer(m.MakeOffer(actor=actor, order_id=order_id, expert_id=expert.id, **extra), self.deps)
        return uuid.UUID(made["offer_id"])

    async def accept(self, order_id: uuid.UUID, offer_id: uuid.UUID, expert: Actor = EXPERT, **extra: Any) -> uuid.UUID:
        accepted = await h.accept_offer(m.AnswerOffer(actor=expert, order_id=order_id, offer_id=offer_id, **extra),
                                        self.deps)
        return uuid.UUID(accepted["engagement_id"])

    async def engagement(self, **terms: Any) -> tuple[uuid.UUID, uuid.UUID]:
        """A new order, offered to and accepted by EXPERT: (order id, engagement id)."""
        order_id = await self.order(**terms)
        return order_id, await self.accept(order_id, await self.offer(order_id))

    async def engagement_state(self, engagement_id: uuid.UUID) -> Engagement:
        return await aggregate.load(self.store, Engagement, str(engagement_id))

"""What the contracts handlers tests share: who acts, and the orders service's events handed over as the consumer
would."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

from services.contracts import handlers as h, messages as m
from services.orders import events as orders
from shared.events import Actor, Role
from tests.unit.calls import call, hand_over

COORDINATOR = Actor(id="coord", role=Role.coordinator)
EXPERT = Actor(id="maija", role=Role.expert)
ORDERER = Actor(id="school-1", role=Role.orderer)
ORDERS_SYSTEM = Actor(id="orders", role=Role.system)


async def deliver(deps, orders_store, payload, engagement_id):
    """Record ``payload`` in the orders store and hand it to the matching handler, as the consumer does."""
    return await hand_over(h.CONSUMES, deps, orders_store, payload, f"engagement-{engagement_id}",
                           engagement_id=engagement_id, subject_id=ORDERER.id, actor=ORDERS_SYSTEM)


RECOMMENDED = orders.FeeTerms(mode=orders.FeeMode.recommended)


def opened(engagement_id, fee=RECOMMENDED, hours="2"):
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery", date=dt.date(2026, 4, 1),
        duration_hours=D(hours), remote=False, fee=fee,
    )


async def open_engagement(deps, orders_store, **kwargs):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, opened(engagement_id, **kwargs), engagement_id)
    return engagement_id


async def contract(deps, engagement_id, actor=COORDINATOR):
    return await call(h.get_contract, m.GetContract(engagement_id=engagement_id), actor, deps)


async def sign_both(deps, engagement_id):
    await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert"), EXPERT, deps)
    return await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="orderer"), ORDERER, deps)


def recorded(deps, event_type):
    """The events of a type as recorded, in their published JSON form."""
    return [e.model_dump(mode="json") for e in deps.uow.store.published if e.event_type == event_type]

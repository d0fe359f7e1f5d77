"""Commands and queries the orders service answers on ``kokemus.orders.cmd.*`` and ``kokemus.orders.query.*``."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from pydantic import AwareDatetime, Field

from services.orders.domain import MAX_CANDIDATES, MAX_EXPERTS, MAX_HOURS, MAX_KILOMETRES, EngagementStatus, OfferStatus
from services.orders.events import FeeTerms, TaskType
from shared.commands import Command, Request
from shared.fields import Day, Identifier, Name, Reason

Hours = Field(gt=0, le=MAX_HOURS, max_digits=4, decimal_places=2)


class PlaceOrder(Command):
    task_type: TaskType
    topic: Name
    date: Day
    start_time: dt.time | None = None  # Finnish time; with it, an expert's overlapping engagements are refused
    duration_hours: Decimal = Hours
    place: Name | None = None
    remote: bool = False
    experts_wanted: int = Field(1, ge=1, le=MAX_EXPERTS)
    # Ignored, kept so that older callers are not refused: whether a task is in the county's services (so the NGO
    # agreement rule applies) comes from the records, the orderer's organization being the county's.
    county_service: bool | None = Field(None, deprecated="the orderer's organization decides it")
    fee: FeeTerms
    # The route (one of these three, or none): experts from the bank to offer the task to, in order of preference
    # (the first experts_wanted of them at once); an organization whose contact person proposes experts; or one
    # expert the orderer knows, listed in the bank or not, a trained member of an organization.
    candidates: list[Identifier] = Field(default_factory=list, max_length=MAX_CANDIDATES)
    organization_id: Identifier | None = None
    expert_id: Identifier | None = None


class TakenVia(enum.StrEnum):
    phone = "phone"
    email = "email"


class TakeOrder(PlaceOrder):
    """The coordinator records an order an orderer gave by phone or e-mail, for that orderer. With a route in it
    (candidates, organization_id or expert_id) it is routed at once; otherwise it waits in the coordinator's queue."""

    orderer_id: Identifier
    taken_via: TakenVia


class OrderCommand(Command):
    order_id: uuid.UUID


class ChangeOrder(OrderCommand):
    topic: Name | None = None
    date: Day | None = None
    start_time: dt.time | None = None
    duration_hours: Decimal | None = Field(None, gt=0, le=MAX_HOURS, max_digits=4, decimal_places=2)
    place: Name | None = None
    remote: bool | None = None


class CancelOrder(OrderCommand):
    reason: Reason


class RouteOrder(OrderCommand):
    """The coordinator routes an order to an organization (to candidates: rank_candidates)."""

    organization_id: Identifier


class ProposeExperts(OrderCommand):
    candidates: list[Identifier] = Field(min_length=1, max_length=MAX_CANDIDATES)  # in order of preference


class DeclineOrder(OrderCommand):
    reason: Reason


class MakeOffer(OrderCommand):
    expert_id: Identifier
    expires_at: AwareDatetime | None = None  # default: in 7 days, or when the task's day begins if sooner


class RankCandidates(OrderCommand):
    candidates: list[Identifier] = Field(min_length=1, max_length=MAX_CANDIDATES)  # in order of preference


class AnswerOffer(OrderCommand):
    offer_id: uuid.UUID


class DeclineOffer(AnswerOffer):
    reason: Reason


class EngagementCommand(Command):
    engagement_id: uuid.UUID


class ConfirmDelivery(EngagementCommand):
    actual_hours: Decimal = Hours
    kilometres: Decimal = Field(Decimal(0), ge=0, le=MAX_KILOMETRES, max_digits=5, decimal_places=1)
    other_expenses: Decimal = Field(Decimal(0), ge=0, le=100000, max_digits=8, decimal_places=2)  # euros


class CancelEngagement(EngagementCommand):
    reason: Reason


class DeclineChange(EngagementCommand):
    reason: Reason


class GetOrder(Request):
    order_id: uuid.UUID


class GetEngagement(Request):
    engagement_id: uuid.UUID


class ListEngagements(Request):
    status: EngagementStatus | None = None


class ListOffers(Request):
    status: OfferStatus | None = None


class ListOrders(Request):
    pass


class ListIncomingOrders(Request):
    pass


class ListOrdersToRoute(Request):
    pass


class ListEngagementsNeedingAttention(Request):
    pass

"""The orders service's events about an order: placed (by one of four routes), changed, cancelled, routed."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


class TaskType(enum.StrEnum):
    lecture = "lecture"
    co_teaching = "co_teaching"
    development_group = "development_group"
    service_evaluation = "service_evaluation"
    peer_support = "peer_support"
    media = "media"
    other = "other"


class FeeMode(enum.StrEnum):
    orderer = "orderer"  # the orderer sets the fee
    recommended = "recommended"  # the recommended rate table in force when the contract is made


class FeeTerms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: FeeMode
    hourly_fee: Decimal | None = Field(None, max_digits=10, decimal_places=2)  # euros per hour, set by the orderer
    fixed_fee: Decimal | None = Field(None, max_digits=10, decimal_places=2)  # euros for the whole task, or so
    expenses_reimbursed: bool = True


class OrderRoute(enum.StrEnum):
    """How an order reaches its experts (the POPSTER model's four ways)."""

    bank = "bank"  # the orderer chose from the experience bank (with credentials)
    organization = "organization"  # addressed to an NGO, whose contact person proposes experts
    direct = "direct"  # to an expert the orderer knows, listed or not, a trained member of an organization
    coordinator = "coordinator"  # taken by the regional coordinator for the orderer, who routes it


class OrderPlaced(DomainEvent):
    """An orderer ordered experts for one task. Version 2 seals the topic and the place with the orderer's key:
    free text that may tell of the people the task is for. Orders placed before routes were recorded came from
    the bank (the defaults)."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    orderer_id: str
    orderer_organization_id: str | None
    # In the county's own services, so the NGO agreement rule applies: from the registry's record of the orderer's
    # organization (the county's). Orders placed before it was taken from the records carry the orderer's word,
    # which they were decided on: kept as it was, so their history reads the same.
    county_service: bool
    task_type: TaskType
    topic: Personal
    date: dt.date
    duration_hours: Decimal
    place: Personal
    remote: bool
    experts_wanted: int
    fee: FeeTerms
    start_time: dt.time | None = None  # Finnish time; None: some time that day
    route: OrderRoute = OrderRoute.bank
    organization_id: str | None = None  # the organization the order is addressed to (route organization)
    taken_by: str | None = None  # the coordinator who took the order for the orderer (route coordinator)
    taken_via: str | None = None  # how the coordinator took it: "phone" or "email"


sealed_since(OrderPlaced, from_version=1)


class OrderChanged(DomainEvent):
    """The orderer changed the task. Version 2 seals the topic and the place with the orderer's key."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    topic: Personal = None
    date: dt.date | None = None
    duration_hours: Decimal | None = None
    place: Personal = None
    remote: bool | None = None
    start_time: dt.time | None = None


sealed_since(OrderChanged, from_version=1)


class OrderCancelled(DomainEvent):
    """The orderer cancelled the order. Version 2 seals the reason with the orderer's key."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    reason: Personal = None


sealed_since(OrderCancelled, from_version=1)


class OrderRoutedToOrganization(DomainEvent):
    """The coordinator routed an order to an organization, whose contact person proposes experts."""

    order_id: uuid.UUID
    organization_id: str


class ExpertsProposed(DomainEvent):
    """The contact person of the organization the order is addressed to proposed its experts, in order of
    preference: they are the order's candidates, offered the task in turn."""

    order_id: uuid.UUID
    organization_id: str
    candidates: list[str]


class OrderDeclinedByOrganization(DomainEvent):
    """The organization the order was addressed to will not propose experts for it: the order goes to the
    coordinator to route. The reason is sealed with the orderer's key (the order's history is theirs)."""

    order_id: uuid.UUID
    organization_id: str
    reason: Personal = None

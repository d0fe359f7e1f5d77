"""Events the orders service publishes on ``kokemus.orders.events.<EventType>`` (its public contract).

An order asks for experts for one task; each accepted offer opens an engagement with its own id, and
every event of that engagement carries the id in its envelope (``engagement_id``).
"""

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


class OrderPlaced(DomainEvent):
    """An orderer ordered experts for one task. Version 2 seals the topic and the place with the orderer's key:
    free text that may tell of the people the task is for."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    orderer_id: str
    orderer_organization_id: str | None
    county_service: bool  # ordered for the county's own services: the NGO agreement rule applies
    task_type: TaskType
    topic: Personal
    date: dt.date
    duration_hours: Decimal
    place: Personal
    remote: bool
    experts_wanted: int
    fee: FeeTerms
    start_time: dt.time | None = None  # Finnish time; None: some time that day


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


class OfferReason(enum.StrEnum):
    """Why an offer was made: by hand, to the first candidates of a ranked list, or moving on to the next
    candidate after an earlier offer was declined or expired."""

    chosen = "chosen"
    ranked = "ranked"
    declined = "declined"
    expired = "expired"


class OfferMade(DomainEvent):
    """An offer to an expert. An offer to a ranked candidate carries its rank, and one that moved on after an
    earlier offer's decline or expiry names that offer."""

    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    expires_at: dt.datetime
    reason: OfferReason = OfferReason.chosen
    rank: int | None = None  # 1 = the orderer's first choice
    after_offer_id: uuid.UUID | None = None  # the declined or expired offer this one moved on from


class CandidatesRanked(DomainEvent):
    """The orderer (or the coordinator routing the order) named the experts to offer the task to, in order of
    preference: offers go to the first ones, and on to the next as offers are declined or expire."""

    order_id: uuid.UUID
    candidates: list[str]


class SkipReason(enum.StrEnum):
    not_listed = "not_listed"  # no longer (or not yet) in the experience bank
    county_agreement = "county_agreement"  # NGO-trained, and no agreement with the county on the task's date
    double_booked = "double_booked"  # already engaged at an overlapping time that day


class CandidateSkipped(DomainEvent):
    """A candidate's turn came but no offer could be made to them (the reason says why)."""

    order_id: uuid.UUID
    expert_id: str
    reason: SkipReason


class NoCandidatesLeft(DomainEvent):
    """Every ranked candidate has had their turn and the order still wants experts: the orderer (or the
    coordinator) must name more."""

    order_id: uuid.UUID
    still_wanted: int


class OfferDeclined(DomainEvent):
    """The expert declined the offer. Version 2 seals the reason with the expert's key: it may tell of their
    health or life situation (special-category data)."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    reason: Personal = None


sealed_since(OfferDeclined, from_version=1)


class OfferExpired(DomainEvent):
    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str


class OfferAccepted(DomainEvent):
    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    engagement_id: uuid.UUID


class EngagementOpened(DomainEvent):
    """An accepted offer became an engagement; contracts drafts its assignment contract from this. Version 2
    seals the order's topic with the orderer's key (no consumer needs it: they read it as null)."""

    schema_version: ClassVar[int] = 2

    engagement_id: uuid.UUID
    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    orderer_id: str
    task_type: TaskType
    topic: Personal
    date: dt.date
    duration_hours: Decimal
    remote: bool
    fee: FeeTerms
    place: Personal = None  # where the task is done, sealed with the orderer's key like the topic
    start_time: dt.time | None = None  # Finnish time; None: some time that day


sealed_since(EngagementOpened, from_version=1)


class EngagementConfirmed(DomainEvent):
    """Both parties signed the assignment contract."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID


class DeliveryConfirmed(DomainEvent):
    engagement_id: uuid.UUID
    actual_hours: Decimal
    kilometres: Decimal
    other_expenses: Decimal = Decimal("0")
    delivered_on: dt.date | None = None  # the day confirmed (Finnish); the feedback forms' answer period runs from it


class EngagementCancelled(DomainEvent):
    """Either side cancelled the engagement. Version 2 seals the reason with the key of whoever cancelled."""

    schema_version: ClassVar[int] = 2

    engagement_id: uuid.UUID
    cancelled_by: str  # "orderer" or "expert"
    reason: Personal = None
    after_signing: bool


sealed_since(EngagementCancelled, from_version=1)


class EngagementClosed(DomainEvent):
    """The engagement is closed: its fee approved and both feedback forms in, or the forms' answer period ended
    with the forms named in ``feedback_missing`` unanswered."""

    engagement_id: uuid.UUID
    feedback_missing: list[str] = Field(default_factory=list)  # "self_assessment", "orderer_feedback"


# Added by the orders service (optional to follow): the facts that close an engagement, noted on its own
# stream so that its history alone explains why it closed, and the offers a cancelled order withdrew.


class OfferWithdrawn(DomainEvent):
    """An open offer was withdrawn because its order was cancelled. Version 2 seals the reason (the order's
    cancellation reason, the orderer's words) with the orderer's key."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    reason: Personal = None


sealed_since(OfferWithdrawn, from_version=1)


class FeeApprovalNoted(DomainEvent):
    """Orders noted the contracts service's ``FeeApproved`` for the engagement."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID


class CancellationTermsNoted(DomainEvent):
    """Orders noted the contracts service's ``ContractCancelled`` for the cancelled engagement: what its contract's
    cancellation terms left owed. Nothing owed: the engagement closes."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID
    fee_owed: Decimal


class OwedFeePaidNoted(DomainEvent):
    """Orders noted the contracts service's ``FeePaid`` paying the fee a cancellation left owed: the cancelled
    engagement is settled, and closes."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID
    paid_on: dt.date


class FeedbackFormNoted(DomainEvent):
    """Orders noted the feedback service's ``FeedbackSubmitted`` for one of the engagement's forms (which is in,
    nothing of what it says)."""

    engagement_id: uuid.UUID
    form: str  # "self_assessment" or "orderer_feedback"


class FeedbackCompletionNoted(DomainEvent):
    """Orders noted the feedback service's ``FeedbackCompleted`` for the engagement."""

    engagement_id: uuid.UUID

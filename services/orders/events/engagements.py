"""The orders service's events about an engagement, from the accepted offer to its close."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from services.orders.events.orders import FeeTerms, TaskType
from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


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
# stream so that its history alone explains why it closed, and the county agreement's lapse.


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


class CountyAgreementLapsed(DomainEvent):
    """The engagement is in the county's services, and no organization agreement between the county and the
    expert's NGOs covers the task's date any longer (one ended, or ran out, before it): the coordinator sees the
    engagement among those needing attention."""

    engagement_id: uuid.UUID
    expert_id: str
    date: dt.date


class CountyAgreementRestored(DomainEvent):
    """An organization agreement covers the task's date again (a new one was signed): no longer needing attention."""

    engagement_id: uuid.UUID


# A change of the order's task after the expert accepted it: proposed to them, and an amendment of the contract
# once they accept it. Only the terms that change are given (None: as before).


class ChangedTerms(DomainEvent):
    """The terms a change of the task gives (None: as before); the place sealed with the orderer's key, and
    ``place_changed`` saying it changes even where it cannot be read."""

    engagement_id: uuid.UUID
    expert_id: str
    date: dt.date | None = None
    start_time: dt.time | None = None
    duration_hours: Decimal | None = None
    remote: bool | None = None
    place: Personal = None
    place_changed: bool = False


class EngagementChangeProposed(ChangedTerms):
    """The orderer changed the task's date, time, length or place after the expert accepted it: the change waits
    for the expert's answer, the engagement keeping its terms meanwhile. A later change replaces one waiting."""


class EngagementChangeAccepted(ChangedTerms):
    """The expert accepted the proposed change: the engagement's terms are the changed ones, and the contracts
    service amends the contract (a new version, which both parties sign again). Contracts cannot open the place:
    it reads it as null, and ``place_changed`` tells it the place changed (as the order has it)."""


class EngagementChangeDeclined(DomainEvent):
    """The expert declined the proposed change: the engagement keeps the terms its contract was made on, and
    its orderer decides whether to go on with them or cancel. The reason is sealed with the expert's key."""

    engagement_id: uuid.UUID
    expert_id: str
    reason: Personal = None


class EngagementChangeWithdrawn(DomainEvent):
    """The order changed back to the engagement's terms before the expert answered: nothing waits any longer."""

    engagement_id: uuid.UUID

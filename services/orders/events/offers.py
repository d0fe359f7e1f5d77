"""The orders service's events about offers: made to experts, in turn, answered, expired, withdrawn."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import ClassVar

from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


class OfferReason(enum.StrEnum):
    """Why an offer was made: by hand, to the first candidates of a ranked list, or moving on to the next
    candidate after an earlier offer was declined or expired, or an expert who had accepted cancelled."""

    chosen = "chosen"
    ranked = "ranked"
    declined = "declined"
    expired = "expired"
    cancelled = "cancelled"


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
    not_trained_member = "not_trained_member"  # not a trained, active member of an organization (or not of the one)
    county_agreement = "county_agreement"  # NGO-trained, and no agreement with the county on the task's date
    double_booked = "double_booked"  # already engaged at an overlapping time that day
    unavailable = "unavailable"  # takes no assignments on that day of the week
    away = "away"  # marked the day as a date away (the registry says only that, never the dates nor why)


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


class OfferWithdrawn(DomainEvent):
    """An open offer was withdrawn because its order was cancelled. Version 2 seals the reason (the order's
    cancellation reason, the orderer's words) with the orderer's key."""

    schema_version: ClassVar[int] = 2

    order_id: uuid.UUID
    offer_id: uuid.UUID
    expert_id: str
    reason: Personal = None


sealed_since(OfferWithdrawn, from_version=1)

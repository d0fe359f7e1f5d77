"""The registry's events about an expert: registration, consent, listing, deactivation and erasure."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

from pydantic import Field

from shared.events import DomainEvent, Payload, Personal, PersonalList
from shared.upcasting import sealed_since, upcaster


class ExpertRegistered(DomainEvent):
    expert_id: str
    organization_id: str
    name: Personal
    email: Personal
    phone: Personal = None
    experience: Personal = None  # the lived experience in the expert's own words: special-category data


class ExpertJoinedOrganization(DomainEvent):
    expert_id: str
    organization_id: str


class ConsentPurpose(enum.StrEnum):
    bank_listing = "bank_listing"  # being listed in the experience bank
    orderer_contact = "orderer_contact"  # being contacted by orderers directly
    feedback_use = "feedback_use"  # the use of the expert's feedback in follow-up


class ConsentGiven(DomainEvent):
    """The expert consented to a purpose, from ``given_on`` to ``valid_until`` (consents given before version 2
    named neither: they hold until withdrawn). Giving it again while it holds renews it."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    scope: str = ConsentPurpose.bank_listing.value  # the purpose
    given_on: dt.date | None = None
    valid_until: dt.date | None = None


@upcaster(ConsentGiven, from_version=1)
def _consent_without_dates(payload: Payload) -> Payload:
    return {**payload, "given_on": None, "valid_until": None}


class ConsentWithdrawn(DomainEvent):
    expert_id: str
    scope: str = ConsentPurpose.bank_listing.value


class ConsentExpiryReminded(DomainEvent):
    """The expert's consent runs out soon: they are reminded once for each end date."""

    expert_id: str
    scope: str
    valid_until: dt.date


class ConsentExpired(DomainEvent):
    """The consent's end date passed without a renewal; for the bank it takes the expert off it."""

    expert_id: str
    scope: str
    valid_until: dt.date


class ExpertDeactivated(DomainEvent):
    """The expert is no longer active. Version 2 seals the reason with the expert's key: it may tell of their
    health or life situation."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    reason: Personal = None


sealed_since(ExpertDeactivated, from_version=1)


class ExpertListed(DomainEvent):
    """The expert appears in the experience bank and can receive offers. Version 2 seals the topics with the
    expert's key: with the expert's id they tell whose lived experience is what (special-category data).
    Only the registry opens them; the bank is searched through the registry."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    organization_ids: list[str]
    county_trained: bool
    topics: PersonalList = None
    languages: list[str] = Field(default=["fi"])
    regions: list[str] = Field(default=[])


sealed_since(ExpertListed, from_version=1)


class ExpertUnlisted(DomainEvent):
    """The expert left the bank. Version 2 seals the reason with the expert's key."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    reason: Personal = None


sealed_since(ExpertUnlisted, from_version=1)


class ErasureGround(enum.StrEnum):
    """Why a person's data is erased: the grounds of the GDPR's article 17(1), (a) to (e). Who asked and when is
    the event's envelope (its actor and time)."""

    no_longer_necessary = "no_longer_necessary"  # (a) no longer needed for the purposes it was collected for
    consent_withdrawn = "consent_withdrawn"  # (b) the person withdrew the consent the processing rested on
    objection = "objection"  # (c) the person objected, and no overriding legitimate ground remains
    unlawful = "unlawful"  # (d) it was processed unlawfully
    legal_obligation = "legal_obligation"  # (e) a law requires the erasure


class ExpertErased(DomainEvent):
    """The expert's personal data was erased (their key shredded); services drop what they hold of them. The
    ground is recorded since grounds were (None in an older event)."""

    expert_id: str
    ground: ErasureGround | None = None
    rule: str | None = None  # the retention rule that erased the expert, when no person asked

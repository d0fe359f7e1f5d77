"""Events the registry publishes on ``kokemus.registry.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import Field

from shared.events import DomainEvent, Personal


class OrganizationKind(enum.StrEnum):
    county = "county"
    ngo = "ngo"


class OrganizationRegistered(DomainEvent):
    organization_id: str
    name: str
    kind: OrganizationKind
    contact_person_id: str | None = None


class ContactPersonAppointed(DomainEvent):
    """A person became a contact person of the organization: they register its experts, record their training
    and list them. They sign in with this e-mail address."""

    organization_id: str
    person_id: str
    name: Personal = None
    email: Personal = None


class ContactPersonRemoved(DomainEvent):
    """The person is no longer a contact person of the organization; their sign-in loses that role."""

    organization_id: str
    person_id: str
    reason: str


class OrganizationAgreementSigned(DomainEvent):
    """The county and an NGO signed an organization agreement (järjestösopimus) valid for these dates."""

    organization_id: str
    agreement_id: str
    valid_from: dt.date
    valid_until: dt.date | None = None


class OrganizationAgreementEnded(DomainEvent):
    organization_id: str
    agreement_id: str
    ended_on: dt.date


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


class TrainingCompleted(DomainEvent):
    expert_id: str
    training: str
    completed_on: dt.date
    trained_by: str  # organization id
    by_county: bool = False  # the county trained the expert (so the expert belongs to the county)


class ConsentGiven(DomainEvent):
    expert_id: str
    scope: str = "bank_listing"


class ConsentWithdrawn(DomainEvent):
    expert_id: str
    scope: str = "bank_listing"


class ExpertDeactivated(DomainEvent):
    expert_id: str
    reason: str


class ExpertListed(DomainEvent):
    """The expert appears in the experience bank and can receive offers."""

    expert_id: str
    organization_ids: list[str]
    county_trained: bool
    topics: list[str]
    languages: list[str] = Field(default=["fi"])
    regions: list[str] = Field(default=[])


class ExpertUnlisted(DomainEvent):
    expert_id: str
    reason: str


class ExpertErased(DomainEvent):
    """The expert's personal data was erased (their key shredded); services drop what they hold of them."""

    expert_id: str


class OrdererCredentialsGranted(DomainEvent):
    orderer_id: str
    orderer_name: str
    organization_id: str | None = None
    valid_until: dt.date | None = None
    email: Personal = None  # the orderer signs in with it


class OrdererCredentialsRevoked(DomainEvent):
    orderer_id: str
    reason: str

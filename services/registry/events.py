"""Events the registry publishes on ``kokemus.registry.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import PERSONAL, DomainEvent, Payload, Personal, PersonalList
from shared.upcasting import sealed_since, upcaster


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
    """The person is no longer a contact person of the organization; their sign-in loses that role. Version 2
    seals the reason with the person's key (it is about them)."""

    schema_version: ClassVar[int] = 2

    organization_id: str
    person_id: str
    reason: Personal = None


sealed_since(ContactPersonRemoved, from_version=1)


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


class TrainingKind(enum.StrEnum):
    basic = "basic"  # a basic training programme: completing one is what lets an expert be listed
    further = "further"  # a further training (the network's development and advocacy training, say)


class TrainingCompleted(DomainEvent):
    """The expert completed a training programme: recorded as a whole by its trainer, or when the last module
    of the programme is completed in a cohort. Version 2 says which programme, and whether it is basic."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    training: str  # the programme's name
    completed_on: dt.date
    trained_by: str  # organization id
    by_county: bool = False  # the county trained the expert (so the expert belongs to the county)
    programme_id: str | None = None
    kind: TrainingKind = TrainingKind.basic


@upcaster(TrainingCompleted, from_version=1)
def _training_kind_from_its_name(payload: Payload) -> Payload:
    # Before programmes, a training was a name: only "basic training" was a basic one.
    kind = TrainingKind.basic if payload.get("training") == "basic training" else TrainingKind.further
    return {**payload, "programme_id": None, "kind": kind.value}


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


class ExpertErased(DomainEvent):
    """The expert's personal data was erased (their key shredded); services drop what they hold of them."""

    expert_id: str


class OrdererCredentialsGranted(DomainEvent):
    """A coordinator gave an orderer credentials. Version 2 seals the orderer's name with the orderer's key."""

    schema_version: ClassVar[int] = 2

    orderer_id: str
    orderer_name: Personal
    organization_id: str | None = None
    valid_until: dt.date | None = None
    email: Personal = None  # the orderer signs in with it


sealed_since(OrdererCredentialsGranted, from_version=1)


class OrdererCredentialsRevoked(DomainEvent):
    """The orderer's credentials were taken away. Version 2 seals the reason with the orderer's key."""

    schema_version: ClassVar[int] = 2

    orderer_id: str
    reason: Personal = None


sealed_since(OrdererCredentialsRevoked, from_version=1)


# -- memberships -----------------------------------------------------------------------------------------

class MembershipOffered(DomainEvent):
    """An organization asks the expert to join it: the expert accepts or declines."""

    expert_id: str
    organization_id: str


class MembershipDeclined(DomainEvent):
    expert_id: str
    organization_id: str


class ExpertLeftOrganization(DomainEvent):
    """The expert left an organization (they keep at least one)."""

    expert_id: str
    organization_id: str


# -- the expert's profile and its review -----------------------------------------------------------------

class TaskKind(enum.StrEnum):
    talk = "talk"
    co_teaching = "co_teaching"
    development_group = "development_group"
    evaluation = "evaluation"
    peer_support = "peer_support"
    media = "media"


class ContactPreference(enum.StrEnum):
    email = "email"
    phone = "phone"
    through_organization = "through_organization"


class ExpertProfileChanged(DomainEvent):
    """The expert saved their profile (a draft until a reviewer approves it for the bank).

    ``themes`` is special-category data (which lived experience, own or a close relative's): it travels sealed,
    as JSON, a list of ``{"theme": id, "relation": "own"|"relative"}``; so do the municipality, the
    introduction, the CV and the video link."""

    expert_id: str
    themes: Personal = None
    municipality: Personal = None
    introduction: Personal = None
    cv: Personal = None
    video_url: Personal = None
    regions: list[str] = Field(default=[])
    languages: list[str] = Field(default=["fi"])
    task_kinds: list[TaskKind] = Field(default=[])
    contact_preference: ContactPreference = ContactPreference.through_organization


class ProfileSubmittedForReview(DomainEvent):
    """The profile (or its change) waits for a reviewer; ``listing`` when the expert also asks to be listed."""

    expert_id: str
    listing: bool = False


class ProfileApproved(DomainEvent):
    """A reviewer (a contact person of the expert's organization, or a coordinator) approved the profile against
    the published criteria: the bank shows this from now on. The same fields, sealed the same way, as
    :class:`ExpertProfileChanged`."""

    expert_id: str
    themes: Personal = None
    municipality: Personal = None
    introduction: Personal = None
    cv: Personal = None
    video_url: Personal = None
    regions: list[str] = Field(default=[])
    languages: list[str] = Field(default=["fi"])
    task_kinds: list[TaskKind] = Field(default=[])
    contact_preference: ContactPreference = ContactPreference.through_organization


class ProfileReturned(DomainEvent):
    """A reviewer returned the profile to the expert; the expert sees the reason (sealed: it is about them)."""

    expert_id: str
    reason: Personal = None


class BlackoutPeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_on: dt.date
    ends_on: dt.date


class AvailabilityChanged(DomainEvent):
    """The days of the week the expert takes assignments on (1 Monday … 7 Sunday), and the dates they do not.
    Version 2 seals the dates with the expert's key: a period away may tell of a treatment or a crisis."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    weekdays: list[int]
    blackouts: Annotated[list[BlackoutPeriod] | None, PERSONAL] = Field(default=[])


sealed_since(AvailabilityChanged, from_version=1)


# -- the county's vocabulary of experience themes --------------------------------------------------------

class ThemeDefined(DomainEvent):
    """A theme of lived experience an expert can name (the county's controlled vocabulary), in three languages.
    Defined again with the same id: renamed."""

    theme_id: str
    name_fi: str
    name_sv: str
    name_en: str


class ThemeRetired(DomainEvent):
    """No new profile can name the theme; profiles that name it keep it."""

    theme_id: str


# -- training programmes and cohorts ---------------------------------------------------------------------

class TrainingModule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    module_id: str
    name: str


class TrainingProgrammeDefined(DomainEvent):
    """A training programme with its modules (the county's pilot had three; the national network's basic
    training); ``organization_id`` runs it."""

    programme_id: str
    name: str
    kind: TrainingKind
    organization_id: str
    modules: list[TrainingModule]


class CohortOpened(DomainEvent):
    """A group of participants taking a programme together, on these dates (the county's 2022–2023 cohort)."""

    cohort_id: str
    programme_id: str
    organization_id: str
    starts_on: dt.date
    ends_on: dt.date


class ParticipantEnrolled(DomainEvent):
    cohort_id: str
    expert_id: str


class ModuleCompleted(DomainEvent):
    """The trainer recorded that the participant completed one module of the cohort's programme."""

    cohort_id: str
    expert_id: str
    module_id: str
    completed_on: dt.date


# -- who looked at whom ----------------------------------------------------------------------------------

class AccessPurpose(enum.StrEnum):
    finding_an_expert = "finding_an_expert"  # an orderer (or a coordinator routing an order) looks for an expert
    organization_register = "organization_register"  # the organization keeps its register and supports its experts
    profile_review = "profile_review"  # a reviewer checks a profile before the bank shows it
    coordination = "coordination"  # the coordinator's follow-up and oversight


class BankSearched(DomainEvent):
    """Someone searched the bank and was shown these experts. The criteria are left out on purpose: together with
    the ids they would tell whose lived experience is what."""

    viewer_id: str
    viewer_role: str
    viewer_organization_id: str | None = None
    purpose: AccessPurpose
    expert_ids: list[str]


class ProfileViewed(DomainEvent):
    """Someone other than the expert read the personal fields of the expert's profile."""

    viewer_id: str
    viewer_role: str
    viewer_organization_id: str | None = None
    purpose: AccessPurpose
    expert_id: str

"""The registry's commands and queries about an expert: registering, consent, listing, the bank, the profile and
its review, availability, memberships."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, HttpUrl, UrlConstraints

from services.registry.events import (
    AccessPurpose,
    ConsentPurpose,
    ContactPreference,
    ErasureGround,
    TaskKind,
)
from shared.commands import Command, Request
from shared.fields import Day, Identifier, Language, Name, Phone, Reason, Tag

CV_LIMIT = 20_000  # characters: about eight pages of text
INTRODUCTION_LIMIT = 1_500
VideoLink = Annotated[HttpUrl, UrlConstraints(max_length=500, allowed_schemes=["http", "https"])]
Weekday = Annotated[int, Field(ge=1, le=7)]  # 1 Monday … 7 Sunday
Relation = Literal["own", "relative"]


class RegisterExpert(Command):
    expert_id: Identifier
    organization_id: Identifier
    name: Name
    email: EmailStr
    phone: Phone | None = None
    experience: str | None = Field(None, max_length=4000)


class JoinOrganization(Command):
    expert_id: Identifier
    organization_id: Identifier


class ExpertCommand(Command):
    expert_id: Identifier


class EraseExpert(ExpertCommand):
    # The expert's data rests on their consent (the bank's, the contacts'): withdrawing it is the usual ground.
    ground: ErasureGround = ErasureGround.consent_withdrawn


class DeactivateExpert(ExpertCommand):
    reason: Reason


class GiveConsent(ExpertCommand):
    purpose: ConsentPurpose = ConsentPurpose.bank_listing
    valid_until: Day | None = None  # by default two years from today


class WithdrawConsent(ExpertCommand):
    purpose: ConsentPurpose = ConsentPurpose.bank_listing


class ListExpert(ExpertCommand):
    """A reviewer lists the expert with their profile as it stands; ``topics`` (free words) for an expert
    without a profile, ``languages`` and ``regions`` in place of the profile's."""

    topics: list[Tag] = Field(default=[], max_length=20)
    languages: list[Language] | None = Field(None, min_length=1, max_length=10)
    regions: list[Tag] | None = Field(None, max_length=30)


class UnlistExpert(ExpertCommand):
    reason: Reason


class SearchBank(Request):
    """Every listed expert matching the free topic, the language and the region, as listed (no paging)."""

    topic: Tag | None = None
    language: Language | None = None
    region: Tag | None = None
    purpose: AccessPurpose | None = None


class FindExperts(Request):
    """The bank's search: each filter narrows; the page of results is ranked by the themes matched, then
    recent activity, then fewer recent assignments (so work spreads)."""

    themes: list[Identifier] = Field(default=[], max_length=10)
    relation: Relation | None = None  # the themes as own experience, or as a close relative's
    region: Tag | None = None
    municipality: Tag | None = None
    language: Language | None = None
    organization_id: Identifier | None = None
    task_kind: TaskKind | None = None
    further_training: Tag | None = None  # a further training: its programme id (or its name, recorded whole)
    available_on: Day | None = None
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=100)
    purpose: AccessPurpose | None = None


class ExpertsAway(Request):
    """Which of the experts marked the day as a date away (never the dates, nor why): another service asks it
    in the name of the person offering them a task."""

    expert_ids: list[Identifier] = Field(min_length=1, max_length=50)
    date: Day
    purpose: AccessPurpose | None = None


class GetExpert(Request):
    expert_id: Identifier
    purpose: AccessPurpose | None = None  # why the personal fields are read: by default, the reader's role's


# -- the profile, its review, availability ---------------------------------------------------------------

class ThemeChoice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    theme: Identifier
    relation: Relation


class ChangeProfile(ExpertCommand):
    themes: list[ThemeChoice] = Field(default=[], max_length=30)
    municipality: Tag | None = None
    regions: list[Tag] = Field(default=[], max_length=30)
    languages: list[Language] = Field(default=["fi"], min_length=1, max_length=10)
    task_kinds: list[TaskKind] = Field(default=[], max_length=len(TaskKind))
    introduction: str | None = Field(None, max_length=INTRODUCTION_LIMIT)
    cv: str | None = Field(None, max_length=CV_LIMIT)
    video_url: VideoLink | None = None
    contact_preference: ContactPreference = ContactPreference.through_organization


class SubmitProfile(ExpertCommand):
    listing: bool = False  # the expert also asks to be listed in the bank


class ReturnProfile(ExpertCommand):
    reason: Reason


class ProfilesToReview(Request):
    organization_id: Identifier | None = None  # a contact person's own; a coordinator's choice or all


class Blackout(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_on: Day
    ends_on: Day


class SetAvailability(ExpertCommand):
    weekdays: list[Weekday] = Field(max_length=7)
    blackouts: list[Blackout] = Field(default=[], max_length=50)


class ConsentHistory(Request):
    expert_id: Identifier
    at: AwareDatetime | None = None  # which consents were in force at this moment


# -- memberships -----------------------------------------------------------------------------------------

class AnswerMembership(ExpertCommand):
    organization_id: Identifier
    accept: bool


class LeaveOrganization(ExpertCommand):
    organization_id: Identifier

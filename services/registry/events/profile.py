"""The registry's events about the expert's profile, its review, availability and the vocabulary of themes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import PERSONAL, DomainEvent, Personal
from shared.upcasting import sealed_since

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


class ProfileContent(BaseModel):
    """What a profile says; the expert's draft and the approved profile carry the same fields. Not an event itself
    (a plain model), so that neither event is the other's subclass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class ExpertProfileChanged(DomainEvent, ProfileContent):
    """The expert saved their profile (a draft until a reviewer approves it for the bank).

    ``themes`` is special-category data (which lived experience, own or a close relative's): it travels sealed,
    as JSON, a list of ``{"theme": id, "relation": "own"|"relative"}``; so do the municipality, the
    introduction, the CV and the video link."""


class ProfileSubmittedForReview(DomainEvent):
    """The profile (or its change) waits for a reviewer; ``listing`` when the expert also asks to be listed."""

    expert_id: str
    listing: bool = False


class ProfileApproved(DomainEvent, ProfileContent):
    """A reviewer (a contact person of the expert's organization, or a coordinator) approved the profile against
    the published criteria: the bank shows this from now on. The same fields, sealed the same way, as
    :class:`ExpertProfileChanged`."""


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

"""What an expert holds besides memberships: the profile the bank shows, consents, training records, the
profile's review and availability. Values only; the :class:`~services.registry.domain.experts.Expert` changes them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from services.registry.events import (
    BlackoutPeriod,
    ContactPreference,
    ExpertProfileChanged,
    ProfileApproved,
    TaskKind,
    TrainingKind,
)

RELATIONS = ("own", "relative")  # the expert's own experience, or a close relative's (läheinen)
ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]


@dataclass(frozen=True)
class Profile:
    """What the expert tells about themself for the bank. ``themes`` are (theme id, own|relative) pairs."""

    themes: tuple[tuple[str, str], ...] = ()
    municipality: str | None = None
    introduction: str | None = None
    cv: str | None = None
    video_url: str | None = None
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("fi",)
    task_kinds: tuple[TaskKind, ...] = ()
    contact_preference: ContactPreference = ContactPreference.through_organization

    def fields(self) -> dict[str, Any]:
        """The profile as an event's fields: the themes as sealed JSON."""
        return {
            "themes": json.dumps([{"theme": t, "relation": r} for t, r in self.themes]) if self.themes else None,
            "municipality": self.municipality, "introduction": self.introduction, "cv": self.cv,
            "video_url": self.video_url, "regions": list(self.regions), "languages": list(self.languages),
            "task_kinds": list(self.task_kinds), "contact_preference": self.contact_preference,
        }

    @classmethod
    def of(cls, event: ExpertProfileChanged | ProfileApproved) -> Profile:
        return cls(themes=themes_of(event.themes), municipality=event.municipality,
                   introduction=event.introduction, cv=event.cv, video_url=event.video_url,
                   regions=tuple(event.regions), languages=tuple(event.languages),
                   task_kinds=tuple(event.task_kinds), contact_preference=event.contact_preference)

    def as_dict(self) -> dict[str, Any]:
        return {**self.fields(), "themes": [{"theme": t, "relation": r} for t, r in self.themes]}


def themes_of(sealed: str | None) -> tuple[tuple[str, str], ...]:
    """The themes of a profile event (None once the expert's key is shredded)."""
    if not sealed:
        return ()
    return tuple((item["theme"], item["relation"]) for item in json.loads(sealed))


@dataclass
class Consent:
    purpose: str
    given_on: dt.date | None
    valid_until: dt.date | None  # None: given before consents had an end
    reminded_for: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class TrainingRecord:
    name: str
    kind: TrainingKind
    programme_id: str | None
    completed_on: dt.date
    trained_by: str


@dataclass
class Review:
    state: str = "none"  # none, draft (changed since approval), submitted, returned, approved
    listing_requested: bool = False
    returned_reason: str | None = None


@dataclass
class Availability:
    weekdays: list[int] = field(default_factory=lambda: list(ALL_WEEKDAYS))
    blackouts: list[BlackoutPeriod] = field(default_factory=list)

    def available_on(self, day: dt.date) -> bool:
        return day.isoweekday() in self.weekdays and not any(b.starts_on <= day <= b.ends_on for b in self.blackouts)

"""The follow-up report's additive figures at their finest grain: for each place (an organization; a region; or
a Finnish month, a task kind and a kind of orderer) the forms by status, the engagements, those with both forms
in, their hours and the fees and expenses paid for them, and the sum and count of each question's ratings.
Every breakdown the report shows is a sum of these, so the service's read tables keep them summed by day and
month (:mod:`services.feedback.rollup`) and the report reads a few thousand rows instead of every form;
:func:`cells_of` computes the same from form records, for the in-memory views and tests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from services.feedback.domain import Status
from services.feedback.events import Form
from shared.clock import TIMEZONE

UNKNOWN = "unknown"  # a task kind or organization the service does not know


@dataclass(frozen=True)
class FormRecord:
    """One requested form as the read tables hold it."""

    engagement_id: uuid.UUID
    form: Form
    requested_at: dt.datetime
    status: Status
    ratings: dict[str, int] | None = None
    version: int | None = None  # the questionnaire version answered
    task_type: str | None = None  # the engagement's task kind, from the orders service
    organizations: tuple[str, ...] = ()  # the expert's organizations, from the registry
    hours: Decimal | None = None  # the engagement's hours worked, from its delivery
    orderer_kind: str | None = None  # "county" (the county's own services) or "other", from the order
    regions: tuple[str, ...] = ()  # the regions the expert is listed in, from the registry
    fees_paid: Decimal | None = None  # the engagement's fee paid, from the contracts service
    expenses_paid: Decimal | None = None  # the expenses paid with it or after it


@dataclass(frozen=True)
class Place:
    """An organization (its experts' forms, whenever and whatever the task), a region (those of the experts
    listed in it), or, with neither, a Finnish month, a task kind and a kind of orderer (each form once)."""

    organization: str | None
    month: str | None = None  # "2026-03": the Finnish month the forms were requested in
    task_type: str | None = None
    orderer_kind: str | None = None
    region: str | None = None

    @property
    def joint(self) -> bool:
        """Whether each form counts here once (not an organization's or a region's place)."""
        return self.organization is None and self.region is None


@dataclass
class Cells:
    forms: dict[tuple[Place, Form, Status], int] = field(default_factory=dict)
    # engagements, those with both forms in, and their hours worked
    engagements: dict[Place, tuple[int, int, Decimal]] = field(default_factory=dict)
    ratings: dict[tuple[Place, Form, int, str], tuple[int, int]] = field(default_factory=dict)  # sum, count
    paid: dict[Place, tuple[Decimal, Decimal]] = field(default_factory=dict)  # the engagements' fees, expenses

    def add_forms(self, key: tuple[Place, Form, Status], n: int) -> None:
        self.forms[key] = self.forms.get(key, 0) + n

    def add_engagements(self, place: Place, engagements: int, completed: int, hours: Decimal) -> None:
        known = self.engagements.get(place, (0, 0, Decimal(0)))
        self.engagements[place] = (known[0] + engagements, known[1] + completed, known[2] + hours)

    def add_paid(self, place: Place, fees: Decimal, expenses: Decimal) -> None:
        known = self.paid.get(place, (Decimal(0), Decimal(0)))
        self.paid[place] = (known[0] + fees, known[1] + expenses)

    def add_ratings(self, key: tuple[Place, Form, int, str], total: int, n: int) -> None:
        known = self.ratings.get(key, (0, 0))
        self.ratings[key] = (known[0] + total, known[1] + n)


def _places(record: FormRecord) -> list[Place]:
    month = record.requested_at.astimezone(TIMEZONE).strftime("%Y-%m")
    return [Place(None, month, record.task_type or UNKNOWN, record.orderer_kind or UNKNOWN),
            *(Place(organization) for organization in record.organizations or (UNKNOWN,)),
            *(Place(None, region=region) for region in record.regions or (UNKNOWN,))]


def cells_of(records: Iterable[FormRecord]) -> Cells:
    cells = Cells()
    engagements: dict[uuid.UUID, tuple[list[Place], set[Form], FormRecord]] = {}
    for record in records:
        placed, answered, _ = engagements.setdefault(record.engagement_id, (_places(record), set(), record))
        for place in placed:
            cells.add_forms((place, record.form, record.status), 1)
        if record.status is not Status.answered:
            continue
        answered.add(record.form)
        for question, value in (record.ratings or {}).items():
            for place in placed:
                cells.add_ratings((place, record.form, record.version or 1, question), value, 1)
    for placed, answered, first in engagements.values():
        for place in placed:
            cells.add_engagements(place, 1, int(answered == set(Form)), first.hours or Decimal(0))
            cells.add_paid(place, first.fees_paid or Decimal(0), first.expenses_paid or Decimal(0))
    return cells

"""The follow-up and evaluation report: counts, answer rates and average ratings of the forms requested in a
period, self against orderer on the shared dimensions, in total and by organization, task kind and period.

A pure computation over :class:`FormRecord` rows (read tables in the service, plain lists in tests). It
holds no free text and no person's id: only counts and averages leave this module, and any figure computed
from fewer than ``MIN_CELL`` answers or people is suppressed, so nobody can be recognised from a small cell.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.feedback.domain import Status
from services.feedback.events import Dimension, Form
from shared.clock import TIMEZONE, day_bounds

MIN_CELL = 5
SUPPRESSED = "suppressed"  # in place of a figure computed from fewer than MIN_CELL answers or people
Cell = int | float | str | None
# Each form's questionnaire versions: version -> question id -> the shared dimension it asks.
DimensionsOf = Mapping[Form, Mapping[int, Mapping[str, Dimension]]]


@dataclass(frozen=True)
class FormRecord:
    engagement_id: uuid.UUID
    form: Form
    requested_at: dt.datetime
    status: Status
    ratings: dict[str, int] | None = None
    version: int | None = None  # the questionnaire version answered
    task_type: str | None = None  # the engagement's task kind, from the orders service
    organizations: tuple[str, ...] = ()  # the expert's organizations, from the registry


def count(n: int) -> Cell:
    return n if n == 0 or n >= MIN_CELL else SUPPRESSED


def rate(part: int, whole: int) -> Cell:
    if not whole:
        return None
    if whole < MIN_CELL or 0 < part < MIN_CELL:
        return SUPPRESSED
    return round(part / whole, 3)


def average(values: list[int]) -> Cell:
    if not values:
        return None
    return round(sum(values) / len(values), 2) if len(values) >= MIN_CELL else SUPPRESSED


def _dimension_values(records: Iterable[FormRecord], form: Form, dimension: Dimension,
                      dimensions: DimensionsOf) -> list[int]:
    values = []
    for record in records:
        if record.form is not form or record.status is not Status.answered or not record.ratings:
            continue
        asked = dimensions.get(form, {}).get(record.version or 1, {})
        values += [value for qid, value in record.ratings.items() if asked.get(qid) is dimension]
    return values


def summary(records: list[FormRecord], dimensions: DimensionsOf) -> dict[str, Any]:
    """The figures of one cell: engagements, forms requested and answered, both forms in, the answer rate,
    and each shared dimension's average on each form."""
    answered = [record for record in records if record.status is Status.answered]
    answered_forms: dict[uuid.UUID, set[Form]] = {}
    for record in answered:
        answered_forms.setdefault(record.engagement_id, set()).add(record.form)
    return {
        "engagements": count(len({record.engagement_id for record in records})),
        "requested": count(len(records)),
        "answered": count(len(answered)),
        "completed": count(sum(1 for found in answered_forms.values() if found == set(Form))),
        "answer_rate": rate(len(answered), len(records)),
        "dimensions": {dimension.value: {form.value: average(_dimension_values(answered, form, dimension, dimensions))
                                         for form in Form} for dimension in Dimension},
    }


def _local_day(record: FormRecord) -> dt.date:
    return record.requested_at.astimezone(TIMEZONE).date()


# The groups a form counts in, for each breakdown: one, but an expert of several organizations counts in each.
GROUPS_OF: dict[str, Callable[[FormRecord], tuple[str, ...]]] = {
    "organization": lambda record: record.organizations or ("unknown",),
    "task_type": lambda record: (record.task_type or "unknown",),
    "month": lambda record: (_local_day(record).strftime("%Y-%m"),),
    "quarter": lambda record: (f"{_local_day(record).year}-Q{(_local_day(record).month - 1) // 3 + 1}",),
    "year": lambda record: (str(_local_day(record).year),),
}


def _per_form(records: list[FormRecord]) -> dict[str, Any]:
    """Each form's counts, and the average of each question answered (over every version that asks it)."""
    forms: dict[str, Any] = {}
    for form in Form:
        requested = [record for record in records if record.form is form]
        answered = [record for record in requested if record.status is Status.answered]
        questions: dict[str, list[int]] = {}
        for record in answered:
            for qid, value in (record.ratings or {}).items():
                questions.setdefault(qid, []).append(value)
        forms[form.value] = {
            "requested": count(len(requested)),
            "answered": count(len(answered)),
            "closed_unanswered": count(sum(record.status is Status.closed for record in requested)),
            "answer_rate": rate(len(answered), len(requested)),
            "average_ratings": {qid: average(values) for qid, values in questions.items()},
        }
    return forms


def follow_up(records: Iterable[FormRecord], start: dt.date, until: dt.date,
              dimensions: DimensionsOf | None = None) -> dict[str, Any]:
    """The report over the forms requested from ``start`` to ``until`` (Finnish days, both included)."""
    begins, ends = day_bounds(start, until)
    known = dimensions or {}
    chosen = sorted((record for record in records if begins <= record.requested_at < ends),
                    key=lambda record: (record.requested_at, record.engagement_id, record.form.value))
    by: dict[str, dict[str, Any]] = {}
    for name, groups_of in GROUPS_OF.items():
        groups: dict[str, list[FormRecord]] = {}
        for record in chosen:
            for group in groups_of(record):
                groups.setdefault(group, []).append(record)
        by[name] = {key: summary(groups[key], known) for key in sorted(groups)}
    return {"from": start.isoformat(), "until": until.isoformat(), "min_cell": MIN_CELL,
            **summary(chosen, known), "forms": _per_form(chosen), "by": by}

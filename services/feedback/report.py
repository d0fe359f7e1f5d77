"""The follow-up and evaluation report: counts, answer rates and average ratings of the forms requested in a
period, the hours worked and the fees and expenses paid, self against orderer on the shared dimensions, in total
and by organization, region, task kind, kind of orderer and period.

A pure computation over :class:`~services.feedback.cells.Cells` (the read tables sum them in SQL; form records
give them in tests). It holds no free text and no person's id: only counts and averages leave this module, and
any figure computed from fewer than ``MIN_CELL`` answers or people is suppressed, so nobody can be recognised
from a small cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from services.feedback.cells import UNKNOWN, Cells, FormRecord, Place, cells_of
from services.feedback.domain import Status
from services.feedback.events import Dimension, Form
from shared.clock import day_bounds

__all__ = ["MIN_CELL", "SUPPRESSED", "FormRecord", "follow_up", "report_of"]

MIN_CELL = 5
SUPPRESSED = "suppressed"  # in place of a figure computed from fewer than MIN_CELL answers or people
Cell = int | float | str | None
# Each form's questionnaire versions: version -> question id -> the shared dimension it asks.
DimensionsOf = Mapping[Form, Mapping[int, Mapping[str, Dimension]]]


def count(n: int) -> Cell:
    return n if n == 0 or n >= MIN_CELL else SUPPRESSED


def rate(part: int, whole: int) -> Cell:
    if not whole:
        return None
    if whole < MIN_CELL or 0 < part < MIN_CELL:
        return SUPPRESSED
    return round(part / whole, 3)


def average(total: int, n: int) -> Cell:
    if not n:
        return None
    return round(total / n, 2) if n >= MIN_CELL else SUPPRESSED


def hours(total: Decimal, engagements: int) -> Cell:
    """The hours worked in the engagements, to a tenth; suppressed like their count."""
    if not engagements:
        return None
    return float(round(total, 1)) if engagements >= MIN_CELL else SUPPRESSED


def euros(total: Decimal, engagements: int) -> Cell:
    """Euros paid for the engagements, to the cent; suppressed like their count."""
    if not engagements:
        return None
    return float(round(total, 2)) if engagements >= MIN_CELL else SUPPRESSED


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


# The group a place counts in, for each breakdown (None: not in it); the organizations' and the regions' places
# are apart from the joint ones (an expert may belong to several of each).
GROUP_OF: dict[str, Callable[[Place], str | None]] = {
    "organization": lambda place: place.organization,
    "region": lambda place: place.region,
    "task_type": lambda place: place.task_type,
    "orderer_kind": lambda place: place.orderer_kind,
    "month": lambda place: place.month,
    "quarter": lambda place: _quarter(place.month) if place.month else None,
    "year": lambda place: place.month[:4] if place.month else None,
}


class _Sums:
    """The additive figures of one group, summed from its places' cells."""

    def __init__(self) -> None:
        self.requested = self.answered = self.engagements = self.completed = 0
        self.hours = self.fees = self.expenses = Decimal(0)
        self.dimensions: dict[tuple[Dimension, Form], list[int]] = {}

    def figures(self) -> dict[str, Any]:
        """Engagements, forms requested and answered, both forms in, the answer rate, and each shared
        dimension's average on each form."""
        return {
            "engagements": count(self.engagements),
            "hours": hours(self.hours, self.engagements),
            "fees_paid": euros(self.fees, self.engagements),
            "expenses_paid": euros(self.expenses, self.engagements),
            "requested": count(self.requested),
            "answered": count(self.answered),
            "completed": count(self.completed),
            "answer_rate": rate(self.answered, self.requested),
            "dimensions": {dimension.value: {form.value: average(*self.dimensions.get((dimension, form), (0, 0)))
                                             for form in Form} for dimension in Dimension},
        }


def _groups(place: Place) -> list[tuple[str, str]]:
    """The (breakdown, group) pairs a place counts in; ("total", "") for the whole period."""
    if place.organization is not None:
        return [("organization", place.organization)]
    if place.region is not None:
        return [("region", place.region)]
    return [("total", ""), *((name, group) for name, group_of in GROUP_OF.items()
                             if (group := group_of(place)) is not None)]


def _sums(cells: Cells, dimensions: DimensionsOf) -> dict[tuple[str, str], _Sums]:
    """Every group's sums, in one pass over the cells."""
    sums: dict[tuple[str, str], _Sums] = {}
    groups_of: dict[Place, list[_Sums]] = {}

    def of(place: Place) -> list[_Sums]:
        if place not in groups_of:
            groups_of[place] = [sums.setdefault(group, _Sums()) for group in _groups(place)]
        return groups_of[place]

    for (place, _, status), n in cells.forms.items():
        for group in of(place):
            group.requested += n
            group.answered += n if status is Status.answered else 0
    for place, (engagements, completed, worked) in cells.engagements.items():
        for group in of(place):
            group.engagements += engagements
            group.completed += completed
            group.hours += worked
    for place, (fees, expenses) in cells.paid.items():
        for group in of(place):
            group.fees += fees
            group.expenses += expenses
    for (place, form, version, question), (total, n) in cells.ratings.items():
        dimension = dimensions.get(form, {}).get(version, {}).get(question)
        if dimension is not None:
            for group in of(place):
                summed = group.dimensions.setdefault((dimension, form), [0, 0])
                summed[0] += total
                summed[1] += n
    return sums


def _per_form(cells: Cells) -> dict[str, Any]:
    """Each form's counts, and the average of each question answered (over every version that asks it)."""
    forms: dict[str, Any] = {}
    for form in Form:
        by_status = {status: sum(n for (place, f, s), n in cells.forms.items()
                                 if place.joint and f is form and s is status) for status in Status}
        questions: dict[str, tuple[int, int]] = {}
        for (place, f, _, question), (total, n) in cells.ratings.items():
            if place.joint and f is form:
                known = questions.get(question, (0, 0))
                questions[question] = (known[0] + total, known[1] + n)
        requested = sum(by_status.values())
        forms[form.value] = {
            "requested": count(requested),
            "answered": count(by_status[Status.answered]),
            "closed_unanswered": count(by_status[Status.closed]),
            "answer_rate": rate(by_status[Status.answered], requested),
            "average_ratings": {question: average(*questions[question]) for question in sorted(questions)},
        }
    return forms


def report_of(cells: Cells, start: dt.date, until: dt.date, dimensions: DimensionsOf | None = None
              ) -> dict[str, Any]:
    """The report of the cells of the forms requested from ``start`` to ``until`` (Finnish days, included)."""
    sums = _sums(cells, dimensions or {})
    by: dict[str, dict[str, Any]] = {name: {} for name in GROUP_OF}
    for (name, group), figures in sorted(sums.items(), key=lambda item: (item[0][1] == UNKNOWN, item[0][1])):
        if name != "total":
            by[name][group] = figures.figures()
    total = sums.get(("total", ""), _Sums()).figures()
    return {"from": start.isoformat(), "until": until.isoformat(), "min_cell": MIN_CELL, **total,
            "forms": _per_form(cells), "by": by}


def follow_up(records: Iterable[FormRecord], start: dt.date, until: dt.date,
              dimensions: DimensionsOf | None = None) -> dict[str, Any]:
    """The report over those of ``records`` requested from ``start`` to ``until``."""
    begins, ends = day_bounds(start, until)
    chosen = sorted((record for record in records if begins <= record.requested_at < ends),
                    key=lambda record: (record.requested_at, record.engagement_id, record.form.value))
    return report_of(cells_of(chosen), start, until, dimensions)

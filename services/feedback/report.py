"""The follow-up and evaluation report: counts and average ratings of the forms requested in a period.

A pure computation over :class:`FormRecord` rows (read tables in the service, plain lists in tests). It
holds no free text and no person's id: only counts and averages leave this module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from services.feedback.domain import QUESTIONS, Status
from services.feedback.events import Form
from shared.clock import day_bounds


@dataclass(frozen=True)
class FormRecord:
    engagement_id: uuid.UUID
    form: Form
    requested_at: dt.datetime
    status: Status
    ratings: dict[str, int] | None = None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def follow_up(records: Iterable[FormRecord], start: dt.date, until: dt.date) -> dict[str, object]:
    """Counts of forms requested and answered, engagements completed, the answer rate, and each question's
    average rating per form, over the forms requested from ``start`` to ``until``."""
    begins, ends = day_bounds(start, until)
    chosen = [record for record in records if begins <= record.requested_at < ends]
    answered = [record for record in chosen if record.status is Status.answered]

    forms: dict[str, object] = {}
    for form, questions in QUESTIONS.items():
        requested_here = [record for record in chosen if record.form is form]
        answered_here = [record for record in answered if record.form is form]
        averages: dict[str, float | None] = {}
        for question in questions:
            values = [record.ratings[question] for record in answered_here
                      if record.ratings and question in record.ratings]
            averages[question] = round(sum(values) / len(values), 2) if values else None
        forms[form.value] = {
            "requested": len(requested_here),
            "answered": len(answered_here),
            "closed_unanswered": sum(record.status is Status.closed for record in requested_here),
            "answer_rate": _rate(len(answered_here), len(requested_here)),
            "average_ratings": averages,
        }

    engagements = {record.engagement_id for record in chosen}
    answered_forms: dict[uuid.UUID, set[Form]] = {}
    for record in answered:
        answered_forms.setdefault(record.engagement_id, set()).add(record.form)
    completed = sum(1 for found in answered_forms.values() if found == set(QUESTIONS))
    return {
        "from": start.isoformat(),
        "until": until.isoformat(),
        "engagements": len(engagements),
        "requested": len(chosen),
        "answered": len(answered),
        "completed": completed,
        "answer_rate": _rate(len(answered), len(chosen)),
        "forms": forms,
    }

"""The follow-up report as CSV: one line a figure (breakdown, group, measure, value), so any spreadsheet can
pivot it; suppressed figures read ``suppressed``, figures with nothing to compute from are empty."""

from __future__ import annotations

import csv
import io
from typing import Any

HEADER = ("breakdown", "group", "measure", "value")
MEASURES = ("engagements", "hours", "fees_paid", "expenses_paid", "requested", "answered", "completed", "answer_rate")


def _lines(breakdown: str, group: str, cell: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    lines = [(breakdown, group, measure, cell[measure]) for measure in MEASURES]
    for dimension, forms in cell["dimensions"].items():
        lines += [(breakdown, group, f"{form}.{dimension}", value) for form, value in forms.items()]
    return lines


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = _lines("total", f"{report['from']}..{report['until']}", report)
    for form, figures in report["forms"].items():
        rows += [("form", form, measure, figures[measure])
                 for measure in ("requested", "answered", "closed_unanswered", "answer_rate")]
        rows += [("form", form, f"average.{qid}", value) for qid, value in figures["average_ratings"].items()]
    for breakdown, groups in report["by"].items():
        for group, cell in groups.items():
            rows += _lines(breakdown, group, cell)
    writer.writerows((*row[:3], "" if row[3] is None else row[3]) for row in rows)
    return out.getvalue()

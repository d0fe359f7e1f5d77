"""The follow-up report's arithmetic and its period of Finnish calendar days."""

import datetime as dt
import uuid

from services.feedback.domain import Status
from services.feedback.events import Form
from services.feedback.report import FormRecord, follow_up

MARCH_1, MARCH_31 = dt.date(2024, 3, 1), dt.date(2024, 3, 31)


def record(at, form=Form.orderer_feedback, status=Status.open, ratings=None, engagement_id=None):
    return FormRecord(engagement_id or uuid.uuid4(), form, at, status, ratings)


def test_the_period_is_finnish_days():
    # 23:30 UTC on 31 March is already 1 April in Finland; 22:30 UTC on 29 February is 1 March there.
    late = record(dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC))
    early = record(dt.datetime(2024, 2, 29, 22, 30, tzinfo=dt.UTC))
    assert follow_up([late, early], MARCH_1, MARCH_31)["requested"] == 1


def test_an_empty_period_has_no_rates_or_averages():
    report = follow_up([], MARCH_1, MARCH_31)
    assert report["answer_rate"] is None
    assert set(report["forms"]["self_assessment"]["average_ratings"].values()) == {None}


def test_averages_count_only_answered_forms_and_completion_needs_both():
    at = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)
    both = uuid.uuid4()
    ratings = {"usefulness": 4, "expert_preparation": 5, "cooperation": 5, "would_order_again": 5}
    records = [
        record(at, Form.orderer_feedback, Status.answered, ratings, both),
        record(at, Form.self_assessment, Status.answered,
               {"preparation": 1, "own_wellbeing": 2, "experience_heard": 3, "would_do_again": 4}, both),
        record(at, Form.orderer_feedback, Status.answered, {**ratings, "usefulness": 1}),
        record(at, Form.orderer_feedback, Status.closed),
    ]
    report = follow_up(records, MARCH_1, MARCH_31)
    orderer = report["forms"]["orderer_feedback"]
    assert orderer["average_ratings"]["usefulness"] == 2.5
    assert (orderer["requested"], orderer["answered"], orderer["closed_unanswered"]) == (3, 2, 1)
    assert report["completed"] == 1
    assert report["answer_rate"] == 0.75

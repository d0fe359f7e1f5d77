"""The follow-up report's arithmetic, its period of Finnish calendar days, and its small cells suppressed."""

import datetime as dt
import uuid

from services.feedback.domain import Status
from services.feedback.events import Dimension, Form
from services.feedback.report import SUPPRESSED, FormRecord, follow_up

MARCH_1, MARCH_31 = dt.date(2024, 3, 1), dt.date(2024, 3, 31)
AT = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)
DIMENSIONS = {Form.orderer_feedback: {1: {"usefulness": Dimension.usefulness}},
              Form.self_assessment: {1: {"preparation": Dimension.preparation}}}


def record(at=AT, form=Form.orderer_feedback, status=Status.open, ratings=None, engagement_id=None, version=None):
    return FormRecord(engagement_id or uuid.uuid4(), form, at, status, ratings, version)


def test_the_period_is_finnish_days():
    # 23:30 UTC on 31 March is already 1 April in Finland; 22:30 UTC on 29 February is 1 March there.
    late = [record(dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC)) for _ in range(5)]
    early = [record(dt.datetime(2024, 2, 29, 22, 30, tzinfo=dt.UTC)) for _ in range(6)]
    assert follow_up(late + early, MARCH_1, MARCH_31)["requested"] == 6


def test_an_empty_period_has_no_rates_or_averages():
    report = follow_up([], MARCH_1, MARCH_31)
    assert (report["requested"], report["answer_rate"]) == (0, None)
    assert report["forms"]["self_assessment"]["average_ratings"] == {}
    assert report["dimensions"]["usefulness"] == {"self_assessment": None, "orderer_feedback": None}
    assert report["by"]["task_type"] == {}


def test_averages_count_only_answered_forms_and_completion_needs_both():
    both = [uuid.uuid4() for _ in range(5)]
    usefulness = [4, 4, 5, 1, 1]
    records = [record(status=Status.answered, ratings={"usefulness": value, "cooperation": 5}, engagement_id=eid)
               for eid, value in zip(both, usefulness, strict=True)]
    records += [record(form=Form.self_assessment, status=Status.answered, ratings={"preparation": 3},
                       engagement_id=eid) for eid in both]
    records += [record(status=Status.answered, ratings={"usefulness": 5, "cooperation": 5})]
    records += [record(status=Status.closed) for _ in range(5)]
    report = follow_up(records, MARCH_1, MARCH_31, DIMENSIONS)
    orderer = report["forms"]["orderer_feedback"]
    assert orderer["average_ratings"] == {"usefulness": 3.33, "cooperation": 5.0}  # (4+4+5+1+1+5) / 6
    assert (orderer["requested"], orderer["answered"], orderer["closed_unanswered"]) == (11, 6, 5)
    assert report["completed"] == 5
    assert report["answer_rate"] == 0.688  # 11 answered of 16 requested
    assert report["dimensions"]["usefulness"]["orderer_feedback"] == 3.33
    assert report["dimensions"]["preparation"]["self_assessment"] == 3.0
    assert report["dimensions"]["cooperation"]["orderer_feedback"] is None  # no version maps cooperation here


def test_figures_from_fewer_than_five_are_suppressed():
    four = [record(status=Status.answered, ratings={"usefulness": 5}) for _ in range(4)]
    report = follow_up(four, MARCH_1, MARCH_31, DIMENSIONS)
    assert report["engagements"] == report["requested"] == report["answered"] == SUPPRESSED
    assert report["answer_rate"] == SUPPRESSED
    assert report["forms"]["orderer_feedback"]["average_ratings"] == {"usefulness": SUPPRESSED}
    assert report["dimensions"]["usefulness"]["orderer_feedback"] == SUPPRESSED
    assert report["completed"] == 0  # nobody: nothing to recognise
    # A rate over many people that would reveal a small count is suppressed too: 2 answered of 9.
    some = [record(status=Status.answered, ratings={"usefulness": 4}) for _ in range(2)] + [record() for _ in range(7)]
    mixed = follow_up(some, MARCH_1, MARCH_31, DIMENSIONS)
    assert (mixed["requested"], mixed["answered"], mixed["answer_rate"]) == (9, SUPPRESSED, SUPPRESSED)
    assert SUPPRESSED in str(mixed) and "4.0" not in str(mixed)

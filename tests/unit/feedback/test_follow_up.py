"""The follow-up report through its query, on known data with its figures checked by hand: totals, each form,
self against orderer, the breakdowns by organization, task kind, month, quarter and year, small cells
suppressed, and the same figures read back from the CSV."""

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest

from services.feedback import messages as m
from services.feedback.events import Form
from services.feedback.handlers import follow_up_report, submit_feedback
from services.orders import events as orders
from services.orders.events import FeeMode, FeeTerms, TaskType
from services.registry import events as registry
from tests.unit.calls import call
from tests.unit.feedback.fakes import COORDINATOR, EXPERT, ORDERER, MovableClock, Upstream, make_deps

T0 = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
S = "suppressed"


def own(preparation, own_wellbeing=3):
    return {"preparation": preparation, "own_wellbeing": own_wellbeing, "experience_heard": 5, "would_do_again": 5}


def theirs(usefulness, cooperation, expert_preparation=3):
    return {"usefulness": usefulness, "expert_preparation": expert_preparation, "cooperation": cooperation,
            "would_order_again": 5}


@pytest.fixture
async def report():
    """Six lectures in March: the orderer answered all six, the expert five; two co-teachings in April, the
    orderer answered one. The whole period, 1 March to 30 April."""
    clock = MovableClock(T0)
    deps = make_deps(clock)
    upstream = Upstream(deps)

    async def file(engagement_id, form, ratings):
        actor = EXPERT if form is Form.self_assessment else ORDERER
        await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=form, ratings=ratings),
                   actor, deps)

    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertRegistered(
        expert_id=EXPERT.id, organization_id="mieli", name="Maija", email="maija@example.org"))
    # The lectures were ordered for the county's own services; the co-teachings' order is not known here.
    order_id = uuid.uuid4()
    await upstream.publish("orders", f"order-{order_id}", orders.OrderPlaced(
        order_id=order_id, orderer_id=ORDERER.id, orderer_organization_id=None, county_service=True,
        task_type=TaskType.lecture, topic=None, date=dt.date(2024, 3, 1), duration_hours=Decimal(2), place=None,
        remote=False, experts_wanted=6, fee=FeeTerms(mode=FeeMode.recommended)))
    lectures = [uuid.uuid4() for _ in range(6)]
    for engagement_id in lectures:
        await upstream.open_and_deliver(engagement_id, task_type=TaskType.lecture, order_id=order_id)
    for engagement_id, usefulness, cooperation in zip(lectures, [5, 5, 5, 4, 4, 4], [5, 4, 4, 4, 4, 3], strict=True):
        await file(engagement_id, Form.orderer_feedback, theirs(usefulness, cooperation))
    for engagement_id, preparation in zip(lectures[:5], [4, 4, 4, 4, 5], strict=True):
        await file(engagement_id, Form.self_assessment, own(preparation))
    clock.advance(days=40)  # 10 April
    teachings = [uuid.uuid4() for _ in range(2)]
    for engagement_id in teachings:
        await upstream.open_and_deliver(engagement_id, "expert-2", task_type=TaskType.co_teaching)
    await file(teachings[0], Form.orderer_feedback, theirs(2, 4))

    async def ask(**extra):
        return await call(follow_up_report, m.FollowUpReport.model_validate(
            {"from": "2024-03-01", "until": "2024-04-30", **extra}), COORDINATOR, deps)
    return ask


async def test_the_totals_and_each_form(report):
    found = await report()
    # 8 engagements, 16 forms, 6 + 5 + 1 = 12 answered, 5 with both in; 12 / 16.
    assert (found["engagements"], found["requested"], found["answered"], found["completed"]) == (8, 16, 12, 5)
    assert found["hours"] == 16.0  # each delivered with 2 hours worked
    assert found["answer_rate"] == 0.75
    orderer = found["forms"]["orderer_feedback"]
    assert (orderer["requested"], orderer["answered"], orderer["answer_rate"]) == (8, 7, 0.875)
    assert orderer["average_ratings"]["usefulness"] == 4.14  # (5+5+5+4+4+4+2) / 7 = 29 / 7
    own_form = found["forms"]["self_assessment"]
    assert (own_form["requested"], own_form["answered"], own_form["answer_rate"]) == (8, 5, 0.625)
    assert own_form["average_ratings"]["preparation"] == 4.2  # 21 / 5


async def test_self_against_orderer_on_the_shared_dimensions(report):
    dimensions = (await report())["dimensions"]
    assert dimensions["preparation"] == {"self_assessment": 4.2, "orderer_feedback": 3.0}  # expert_preparation
    assert dimensions["cooperation"] == {"self_assessment": None, "orderer_feedback": 4.0}  # (24 + 4) / 7
    assert dimensions["experience_heard"] == {"self_assessment": 5.0, "orderer_feedback": None}
    assert dimensions["own_wellbeing"] == {"self_assessment": 3.0, "orderer_feedback": None}


async def test_by_task_kind_and_period_with_small_cells_suppressed(report):
    by = (await report())["by"]
    lecture, teaching = by["task_type"]["lecture"], by["task_type"]["co_teaching"]
    # Lectures: 6 engagements, 12 forms, 11 answered (11 / 12 = 0.917), 5 with both in.
    assert (lecture["engagements"], lecture["requested"], lecture["answered"], lecture["completed"]) == (6, 12, 11, 5)
    assert (lecture["hours"], teaching["hours"]) == (12.0, S)
    assert lecture["answer_rate"] == 0.917
    assert lecture["dimensions"]["usefulness"]["orderer_feedback"] == 4.5  # 27 / 6
    # Co-teaching: two engagements, one answer: every figure but the empty ones hidden.
    assert (teaching["engagements"], teaching["requested"], teaching["answered"]) == (S, S, S)
    assert (teaching["completed"], teaching["answer_rate"]) == (0, S)
    assert teaching["dimensions"]["usefulness"] == {"self_assessment": None, "orderer_feedback": S}
    assert by["month"] == {"2024-03": lecture, "2024-04": teaching}
    assert by["quarter"] == {"2024-Q1": lecture, "2024-Q2": teaching}
    assert list(by["year"]) == ["2024"] and by["year"]["2024"]["answered"] == 12
    # The lectures' expert belongs to Mieli; the co-teachings' expert to no organization the service knows.
    assert by["organization"] == {"mieli": lecture, "unknown": teaching}
    assert by["orderer_kind"] == {"county": lecture, "unknown": teaching}


async def test_the_csv_reads_back_as_the_same_figures(report):
    text = (await report(format="csv"))["csv"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["breakdown", "group", "measure", "value"]
    value = {(row["breakdown"], row["group"], row["measure"]): row["value"] for row in rows}
    assert value[("total", "2024-03-01..2024-04-30", "answered")] == "12"
    assert value[("total", "2024-03-01..2024-04-30", "hours")] == "16.0"
    assert value[("total", "2024-03-01..2024-04-30", "answer_rate")] == "0.75"
    assert value[("total", "2024-03-01..2024-04-30", "self_assessment.preparation")] == "4.2"
    assert value[("total", "2024-03-01..2024-04-30", "orderer_feedback.experience_heard")] == ""
    assert value[("form", "orderer_feedback", "average.usefulness")] == "4.14"
    assert value[("task_type", "lecture", "answer_rate")] == "0.917"
    assert value[("task_type", "co_teaching", "engagements")] == S
    assert value[("quarter", "2024-Q2", "orderer_feedback.usefulness")] == S
    assert value[("month", "2024-03", "orderer_feedback.cooperation")] == "4.0"  # 24 / 6
    assert EXPERT.id not in text and ORDERER.id not in text

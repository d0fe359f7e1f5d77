"""The follow-up report's rollup against its definition: on random engagements, forms, answers, hours, payments,
orders, memberships and regions, changed in any order and some events handled twice, the figures the views
give for a period are those :func:`cells_of` computes from the period's form rows, for periods of a few days,
of whole months and across months. In PostgreSQL the first are read from the day and month totals."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from services.feedback import events as feedback
from services.feedback.cells import cells_of
from services.feedback.events import Form
from services.feedback.views import Parties
from shared.clock import day_bounds
from tests.contract.feed import Feed

FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 120
TASKS = ["lecture", "media", None]
SELF = ["preparation", "own_wellbeing", "experience_heard", "would_do_again"]
ORDERER = ["usefulness", "expert_preparation", "cooperation", "would_order_again"]


async def expected_and_found(views: Any, start: dt.date, until: dt.date) -> tuple[Any, Any]:
    records = sorted(await views.forms_requested(*day_bounds(start, until)),
                     key=lambda r: (r.requested_at, r.engagement_id, r.form.value))
    return cells_of(records), await views.follow_up_cells(start, until)


async def scatter(feed: Feed, pick: random.Random) -> None:
    """Sixty engagements over four months, and every kind of change to what their figures rest on."""
    views = feed.views
    experts = [f"expert-{n}" for n in range(8)]
    orders = [uuid.uuid4() for _ in range(4)]
    for expert in experts[:6]:
        await feed.within(views.remember_membership, expert, pick.choice(["mieli", "varha", "sininauha"]))
    for expert in experts[:5]:
        await feed.within(views.remember_regions, expert, pick.sample(["oulu", "raahe", "koillismaa"], 2))
    for order_id in orders[:2]:
        await feed.within(views.remember_order, order_id, pick.random() < 0.5)
    for _ in range(60):
        engagement_id, expert = uuid.uuid4(), pick.choice(experts)
        await feed.within(views.remember_engagement, engagement_id, Parties(
            expert, "orderer-1", task_type=pick.choice(TASKS), order_id=pick.choice([*orders, None])))
        if pick.random() < 0.8:
            await feed.within(views.record_hours, engagement_id, Decimal(pick.randrange(1, 9)) / 2)
        at = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=pick.randrange(DAYS)), dt.time(pick.randrange(24)),
                                 dt.UTC)  # late evenings in UTC are the next Finnish day
        for form in Form:
            await feed.follow(f"feedback-{engagement_id}", feedback.FeedbackRequested(
                engagement_id=engagement_id, form=form, respondent_id=expert, requested_at=at),
                engagement_id=engagement_id)
            fate = pick.random()
            if fate < 0.6:
                questions = SELF if form is Form.self_assessment else ORDERER
                answered = feedback.FeedbackSubmitted(
                    engagement_id=engagement_id, form=form, respondent_id=expert,
                    ratings={q: pick.randrange(1, 6) for q in questions if q != "own_wellbeing"},
                    sealed_ratings={"own_wellbeing": pick.randrange(1, 6)} if form is Form.self_assessment else {},
                    questionnaire_version=pick.choice([1, 2]))
                for _ in range(2 if pick.random() < 0.2 else 1):  # some delivered twice
                    await feed.follow(f"feedback-{engagement_id}", answered, engagement_id=engagement_id)
            elif fate < 0.8:
                await feed.follow(f"feedback-{engagement_id}", feedback.FeedbackClosedUnanswered(
                    engagement_id=engagement_id, form=form), engagement_id=engagement_id)
        if pick.random() < 0.5:
            fee = Decimal(pick.randrange(50, 300))
            await feed.within(views.record_fee_approved, engagement_id, fee)
            payment = uuid.uuid4()
            for _ in range(2 if pick.random() < 0.3 else 1):  # the same payment handled again: counted once
                await feed.within(views.record_payment, payment, engagement_id, fee + Decimal("12.40"), True)
            if pick.random() < 0.3:  # expenses approved later, paid on their own
                await feed.within(views.record_payment, uuid.uuid4(), engagement_id, Decimal("7.5"), False)
    # Then what the figures rest on changes under them: memberships, regions, orders' kinds, an erasure.
    await feed.within(views.remember_membership, experts[0], "aseman-lapset")
    await feed.within(views.forget_membership, experts[1], "mieli")
    await feed.within(views.forget_membership, experts[1], "varha")
    await feed.within(views.forget_membership, experts[1], "sininauha")
    await feed.within(views.remember_regions, experts[2], ["oulu"])
    await feed.within(views.remember_regions, experts[3], [])
    await feed.within(views.remember_order, orders[2], True)
    await feed.within(views.remember_order, orders[2], True)
    await feed.within(views.forget_sealed_answers, experts[4])


async def test_the_rollup_gives_the_figures_of_the_form_rows(views_of):
    async with views_of("feedback") as feed:
        pick = random.Random(14)
        await scatter(feed, pick)
        last = FIRST_DAY + dt.timedelta(days=DAYS)
        periods = [(FIRST_DAY, last), (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),  # all; a whole month
                   (dt.date(2026, 1, 15), dt.date(2026, 3, 31)), (dt.date(2026, 2, 10), dt.date(2026, 2, 12)),
                   (dt.date(2026, 3, 1), dt.date(2026, 3, 20)), (dt.date(2026, 1, 31), dt.date(2026, 2, 1))]
        for _ in range(12):
            start = FIRST_DAY + dt.timedelta(days=pick.randrange(DAYS))
            periods.append((start, start + dt.timedelta(days=pick.randrange(75))))
        for start, until in periods:
            expected, found = await expected_and_found(feed.views, start, until)
            assert found == expected, (start, until)
        expected, _ = await expected_and_found(feed.views, FIRST_DAY, last)
        # The data reach every kind of place, so that the comparison above compares something.
        assert {place.organization for place in expected.engagements} >= {"aseman-lapset", "unknown"}
        assert {place.region for place in expected.engagements} >= {"oulu", "unknown"}
        assert {place.orderer_kind for place in expected.engagements} == {None, "county", "other", "unknown"}
        assert sum(fees for fees, _ in expected.paid.values()) > 0
        assert sum(expenses for _, expenses in expected.paid.values()) > 0
        assert sum(n for n, _ in expected.ratings.values()) > 0

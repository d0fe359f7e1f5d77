"""Closing without feedback: an engagement delivered, its fee approved, whose feedback forms' answer period has
ended, is closed by the job with the unanswered forms named; before then, or with its fee not yet approved, it stays
open."""

import datetime as dt

import pytest

from services.feedback.events import Form
from services.orders import handlers as h, messages as m
from services.orders.domain import FEEDBACK_ANSWER_PERIOD
from shared.events import SYSTEM
from tests.unit.calls import call
from tests.unit.orders.fakes import ORDERER, World, delivered, fee_approved, feedback_completed, form_in


@pytest.fixture
def world():
    return World()


async def delivered_and_approved(world):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    await fee_approved(world, engagement_id)
    return engagement_id


async def engagement_view(world, engagement_id):
    return await call(h.get_engagement, m.GetEngagement(engagement_id=engagement_id), ORDERER, world.deps)


async def test_after_the_answer_period_the_job_closes_naming_the_missing_form_once(world):
    engagement_id = await delivered_and_approved(world)
    await form_in(world, engagement_id, Form.self_assessment, "maija")

    world.clock.now += FEEDBACK_ANSWER_PERIOD  # the period's last day: the orderer may still answer
    assert await h.close_unanswered(world.deps) == 0
    world.clock.now += dt.timedelta(days=1)
    assert await h.close_unanswered(world.deps) == 1
    assert await h.close_unanswered(world.deps) == 0

    [closed] = await world.events("EngagementClosed")
    assert (closed.payload.feedback_missing, closed.actor, closed.engagement_id) == (
        ["orderer_feedback"], SYSTEM, engagement_id)
    seen = await engagement_view(world, engagement_id)
    assert (seen["status"], seen["feedback_missing"]) == ("closed", ["orderer_feedback"])


async def test_with_no_form_in_both_are_named(world):
    await delivered_and_approved(world)
    world.clock.now += FEEDBACK_ANSWER_PERIOD + dt.timedelta(days=1)
    assert await h.close_unanswered(world.deps) == 1
    [closed] = await world.events("EngagementClosed")
    assert closed.payload.feedback_missing == ["self_assessment", "orderer_feedback"]


async def test_an_engagement_whose_fee_is_not_approved_stays_open(world):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    world.clock.now += 3 * FEEDBACK_ANSWER_PERIOD
    assert await h.close_unanswered(world.deps) == 0
    assert (await engagement_view(world, engagement_id))["status"] == "delivered"


async def test_with_both_forms_in_it_closes_by_itself_with_nothing_missing(world):
    engagement_id = await delivered_and_approved(world)
    await form_in(world, engagement_id, Form.self_assessment, "maija")
    await form_in(world, engagement_id, Form.orderer_feedback, "school-1")
    await feedback_completed(world, engagement_id)
    [closed] = await world.events("EngagementClosed")
    assert closed.payload.feedback_missing == []
    world.clock.now += 2 * FEEDBACK_ANSWER_PERIOD
    assert await h.close_unanswered(world.deps) == 0

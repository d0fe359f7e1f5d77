"""A change of the task after acceptance: proposed to the engaged expert, who alone accepts it (the engagement takes
the new terms) or declines it (it keeps its terms, the orderer sees the change declined); the day, the expert's
other engagements and the county's rule are checked on acceptance."""

import datetime as dt
from decimal import Decimal

import pytest

from services.orders import handlers as h, messages as m
from services.orders.domain import Agreement
from shared.errors import Conflict, Forbidden
from tests.unit.calls import call
from tests.unit.orders.fakes import EXPERT, ORDERER, OTHER_EXPERT, TASK_DAY, WARD, World, delivered

TEN = dt.time(10)
LATER = TASK_DAY + dt.timedelta(days=2)


@pytest.fixture
def world():
    return World()


async def change(world, order_id, actor=ORDERER, **terms):
    return await call(h.change_order, m.ChangeOrder(order_id=order_id, **terms), actor, world.deps)


async def engagement_seen(world, engagement_id, actor=ORDERER):
    return await call(h.get_engagement, m.GetEngagement(engagement_id=engagement_id), actor, world.deps)


async def test_a_change_of_terms_is_proposed_to_the_engaged_expert_and_accepted_by_them_only(world):
    order_id, engagement_id = await world.engagement()
    changed = await change(world, order_id, date=LATER, place="Sali 2")
    assert changed["proposed_to"] == [str(engagement_id)]
    seen = await engagement_seen(world, engagement_id, EXPERT)
    assert seen["date"] == TASK_DAY.isoformat()  # the engagement keeps its terms until the expert answers
    assert seen["proposed_change"] == {"date": LATER.isoformat(), "place": "Sali 2"}
    with pytest.raises(Forbidden, match="not yours"):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), OTHER_EXPERT, world.deps)
    with pytest.raises(Forbidden):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), ORDERER, world.deps)
    answer = await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)
    assert answer["change"] == "accepted"
    seen = await engagement_seen(world, engagement_id)
    assert (seen["date"], seen["place"], seen["proposed_change"]) == (LATER.isoformat(), "Sali 2", None)
    [accepted] = await world.events("EngagementChangeAccepted")
    assert accepted.payload.place_changed is True
    with pytest.raises(Conflict, match="no change"):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)


async def test_a_declined_change_leaves_the_terms_and_shows_the_orderer_the_reason(world):
    order_id, engagement_id = await world.engagement()
    await change(world, order_id, duration_hours=Decimal(3))
    await call(h.decline_change, m.DeclineChange(engagement_id=engagement_id, reason="too long for me"), EXPERT,
               world.deps)
    seen = await engagement_seen(world, engagement_id)
    assert Decimal(seen["duration_hours"]) == Decimal(2)
    assert seen["proposed_change"] is None
    assert seen["declined_change"] == {"duration_hours": "3", "reason": "too long for me"}
    [declined] = await world.events("EngagementChangeDeclined")
    assert declined.subject_id == EXPERT.id  # the reason is sealed with the expert's key


async def test_a_topic_change_proposes_nothing_and_a_change_back_withdraws_the_proposal(world):
    order_id, engagement_id = await world.engagement()
    assert (await change(world, order_id, topic="new topic"))["proposed_to"] == []
    await change(world, order_id, date=LATER)
    assert (await change(world, order_id, date=TASK_DAY))["proposed_to"] == []
    assert len(await world.events("EngagementChangeWithdrawn")) == 1
    with pytest.raises(Conflict, match="no change"):
        await call(h.decline_change, m.DeclineChange(engagement_id=engagement_id, reason="x"), EXPERT, world.deps)


async def test_a_delivered_engagement_gets_no_proposal_and_a_cancelled_one_cannot_accept(world):
    order_id, engagement_id = await world.engagement()
    await change(world, order_id, date=LATER)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="ill"), EXPERT, world.deps)
    with pytest.raises(Conflict, match="has ended"):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)
    order_id, other = await world.engagement()
    await delivered(world, other)
    with pytest.raises(Conflict, match="already delivered"):
        await change(world, order_id, date=LATER)
    assert len(await world.events("EngagementChangeProposed")) == 1


async def test_accepting_a_change_that_would_double_book_the_expert_is_refused(world):
    order_id, engagement_id = await world.engagement(start_time=TEN)
    await world.engagement(date=LATER, start_time=TEN)
    await change(world, order_id, date=LATER)
    with pytest.raises(Conflict, match="already engaged at an overlapping time"):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)
    await change(world, order_id, start_time=dt.time(14))  # a change of time only does not clash with itself
    assert await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)


async def test_accepting_a_new_day_the_county_s_agreement_does_not_cover_is_refused(world):
    world.list_expert("maija", agreements=(Agreement(dt.date(2026, 1, 1), valid_until=TASK_DAY),))
    order_id = await world.order(WARD)
    engagement_id = await world.accept(order_id, await world.offer(order_id, actor=WARD))
    await change(world, order_id, WARD, date=LATER)
    with pytest.raises(Conflict, match="county's rule"):
        await call(h.accept_change, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)

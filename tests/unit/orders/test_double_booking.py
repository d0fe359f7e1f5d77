"""Double booking: an expert already engaged at an overlapping time that day is not offered the task, cannot accept
an offer that would overlap, and is skipped when their turn comes in a ranked list; the refusal says why."""

import datetime as dt
from decimal import Decimal

import pytest

from services.orders import handlers as h, messages as m
from services.orders.domain import Booking
from shared.errors import Conflict, Invalid
from tests.unit.calls import call
from tests.unit.orders.fakes import EXPERT, ORDERER, TASK_DAY, World

TEN = dt.time(10)


@pytest.fixture
def world():
    return World()


@pytest.mark.parametrize("start, hours, overlaps", [
    (dt.time(9), Decimal(1), False),  # ends as the booking begins
    (dt.time(9), Decimal("1.5"), True),
    (dt.time(11), Decimal(3), True),
    (dt.time(12), Decimal(1), False),  # begins as the booking ends
    (None, Decimal(1), False),  # no start time: times that cannot be compared do not overlap
])
def test_a_booking_overlaps_a_task_whose_time_meets_it(start, hours, overlaps):
    assert Booking(TASK_DAY, TEN, Decimal(2)).overlaps(TASK_DAY, start, hours) is overlaps
    assert Booking(TASK_DAY, TEN, Decimal(2)).overlaps(TASK_DAY + dt.timedelta(days=1), start, hours) is False


async def test_an_offer_overlapping_the_expert_s_engagement_is_refused_naming_the_reason(world):
    await world.engagement(start_time=TEN, duration_hours=Decimal(2))
    overlapping = await world.order(start_time=dt.time(11), duration_hours=Decimal(2))
    with pytest.raises(Conflict, match=r"maija is already engaged at an overlapping time on .* \(from 10:00, 2 hours"):
        await world.offer(overlapping)
    assert await world.offer(await world.order(start_time=dt.time(12), duration_hours=Decimal(2)))
    assert await world.offer(await world.order(date=TASK_DAY + dt.timedelta(days=1)))
    assert await world.offer(await world.order())  # no start time: a day shared is not a time overlapped


async def test_an_acceptance_that_would_overlap_is_refused_and_opens_nothing(world):
    morning = await world.order(start_time=TEN)
    noon = await world.order(start_time=dt.time(11))
    morning_offer, noon_offer = await world.offer(morning), await world.offer(noon)
    await world.accept(morning, morning_offer)
    with pytest.raises(Conflict, match="already engaged at an overlapping time"):
        await world.accept(noon, noon_offer)
    assert len(await world.events("EngagementOpened")) == 1
    assert len(await world.events("OfferAccepted")) == 1


async def test_a_cancelled_engagement_frees_the_time(world):
    _, engagement_id = await world.engagement(start_time=TEN)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="ill"), EXPERT, world.deps)
    assert await world.offer(await world.order(start_time=TEN))


async def test_a_double_booked_candidate_is_skipped_and_the_next_offered(world):
    await world.engagement(start_time=TEN)
    order_id = await world.order(start_time=TEN, candidates=["maija", "pekka"])
    seen = await call(h.get_order, m.GetOrder(order_id=order_id), ORDERER, world.deps)
    assert seen["candidates"]["skipped"] == [{"expert_id": "maija", "reason": "double_booked"}]
    assert [w["expert_id"] for w in seen["candidates"]["waiting"]] == ["pekka"]


async def test_a_task_running_past_midnight_is_refused_naming_the_start_time_and_nothing_is_written(world):
    with pytest.raises(Invalid) as error:
        await world.order(start_time=dt.time(23), duration_hours=Decimal(2))
    assert [p.field for p in error.value.fields] == ["start_time"]
    assert await world.store.read_all() == []

"""Availability: an expert who takes no assignments on the task's day of the week (the registry's weekly
availability), or who marked the day as a date away, is not offered the task, and is skipped when their turn comes
in a ranked list; the refusal says why. The dates away travel sealed with the registry's key: orders asks the
registry who is away, in the name of whoever offers (their token relayed)."""

import datetime as dt

import pytest

from services.orders import handlers as h, messages as m
from shared.errors import Invalid
from tests.unit.calls import call
from tests.unit.orders.fakes import ORDERER, TASK_DAY, World

WEEKDAYS = frozenset({1, 2, 3, 4, 5})
SATURDAY = TASK_DAY + dt.timedelta(days=(5 - TASK_DAY.weekday()) % 7)


@pytest.fixture
def world():
    world = World()
    world.views.available_on["maija"] = WEEKDAYS
    return world


async def test_an_offer_on_a_day_the_expert_takes_no_assignments_is_refused_naming_the_reason(world):
    assert SATURDAY.isoweekday() == 6
    order_id = await world.order(date=SATURDAY)
    with pytest.raises(Invalid) as refused:
        await call(h.make_offer, m.MakeOffer(order_id=order_id, expert_id="maija"), ORDERER, world.deps)
    [problem] = refused.value.fields
    assert problem.field == "expert_id" and "Saturday" in problem.reason and "day of the week" in problem.allowed
    assert await world.events("OfferMade") == []
    weekday = await world.order(date=SATURDAY - dt.timedelta(days=1))
    await call(h.make_offer, m.MakeOffer(order_id=weekday, expert_id="maija"), ORDERER, world.deps)  # a Friday


async def test_a_ranked_candidate_unavailable_that_day_is_skipped_for_the_next(world):
    await world.order(date=SATURDAY, candidates=["maija", "pekka"])
    [skipped] = [e.payload for e in await world.events("CandidateSkipped")]
    assert (skipped.expert_id, skipped.reason) == ("maija", "unavailable")
    assert [e.payload.expert_id for e in await world.events("OfferMade")] == ["pekka"]  # never said: available


async def test_an_offer_on_the_expert_s_date_away_is_refused_asking_the_registry_in_the_caller_s_name(world):
    world.away["maija"] = {TASK_DAY}
    order_id = await world.order()
    with pytest.raises(Invalid) as refused:
        await call(h.make_offer, m.MakeOffer(order_id=order_id, expert_id="maija"), ORDERER, world.deps,
                   token="token-of-school-1")
    [problem] = refused.value.fields
    assert problem.field == "expert_id" and "away" in problem.reason and "date away" in problem.allowed
    assert world.asked_as[-1] == "token-of-school-1"  # the registry was asked as the orderer, not as orders
    assert await world.events("OfferMade") == []
    await call(h.make_offer, m.MakeOffer(order_id=order_id, expert_id="pekka"), ORDERER, world.deps)


async def test_ranked_candidates_away_that_day_are_skipped_with_the_reason(world):
    world.away["maija"] = {TASK_DAY}
    order_id = await world.order(experts_wanted=1)
    await call(h.rank_candidates, m.RankCandidates(order_id=order_id, candidates=["maija", "pekka"]), ORDERER,
               world.deps, token="token-of-school-1")
    [skipped] = [e.payload for e in await world.events("CandidateSkipped")]
    assert (skipped.expert_id, skipped.reason) == ("maija", "away")
    assert [e.payload.expert_id for e in await world.events("OfferMade")] == ["pekka"]
    assert world.asked_as == ["token-of-school-1"]
    shown = await call(h.get_order, m.GetOrder(order_id=order_id), ORDERER, world.deps)
    assert shown["candidates"]["skipped"] == [{"expert_id": "maija", "reason": "away"}]

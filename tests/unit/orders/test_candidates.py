"""Offers that move on: an order's ranked candidates are offered the task in turn, as many at a time as the order
wants; a decline or an expiry offers it to the next one, a candidate who cannot take it is skipped with the reason,
and the orderer sees who has answered, who is waiting and whose turn is next."""

import datetime as dt
import uuid

import pytest

from services.orders import handlers as h, messages as m
from shared.errors import Forbidden, Invalid
from shared.events import SYSTEM
from tests.unit.calls import call
from tests.unit.orders.fakes import COORDINATOR, EXPERT, ORDERER, OTHER_EXPERT, OTHER_ORDERER, World

LIISA = EXPERT.model_copy(update={"id": "liisa"})


@pytest.fixture
def world():
    world = World()
    world.list_expert("liisa", county_trained=True)
    return world


async def get_order(world, order_id, actor=ORDERER):
    return await call(h.get_order, m.GetOrder(order_id=order_id), actor, world.deps)


async def open_offer_to(world, order_id, expert_id):
    [offer] = [o for o in (await get_order(world, order_id))["offers"] if o["expert_id"] == expert_id
               and o["status"] == "open"]
    return uuid.UUID(offer["offer_id"])


async def decline(world, order_id, expert):
    offer_id = await open_offer_to(world, order_id, expert.id)
    await call(h.decline_offer, m.DeclineOffer(order_id=order_id, offer_id=offer_id, reason="ill"), expert,
               world.deps)
    return offer_id


async def test_the_first_candidate_is_offered_and_a_decline_moves_on_to_the_next(world):
    order_id = await world.order(candidates=["maija", "pekka", "liisa"])
    [first] = (await get_order(world, order_id))["offers"]
    assert (first["expert_id"], first["status"], first["rank"], first["reason"]) == ("maija", "open", 1, "ranked")

    declined = await decline(world, order_id, EXPERT)

    seen = await get_order(world, order_id)
    assert seen["candidates"]["answered"] == [{"expert_id": "maija", "answer": "declined"}]
    assert [w["expert_id"] for w in seen["candidates"]["waiting"]] == ["pekka"]
    assert seen["candidates"]["next"] == ["liisa"]
    [moved] = [e.payload for e in await world.events("OfferMade") if e.payload.expert_id == "pekka"]
    assert (moved.reason, moved.rank, moved.after_offer_id) == ("declined", 2, declined)


async def test_an_expired_offer_moves_on_to_the_next_candidate_once(world):
    order_id = await world.order(candidates=["maija", "pekka"])
    world.clock.now += dt.timedelta(days=7)
    assert await h.expire_offers(world.deps) == 1
    assert await h.expire_offers(world.deps) == 0

    offered = [e for e in await world.events("OfferMade") if e.payload.expert_id == "pekka"]
    assert [(e.payload.reason, e.actor) for e in offered] == [("expired", SYSTEM)]
    seen = await get_order(world, order_id)
    assert seen["candidates"]["answered"] == [{"expert_id": "maija", "answer": "expired"}]
    assert [w["expert_id"] for w in seen["candidates"]["waiting"]] == ["pekka"]


async def test_an_order_wanting_two_offers_to_the_first_two_and_fills_a_freed_place(world):
    order_id = await world.order(experts_wanted=2, candidates=["maija", "pekka", "liisa"])
    assert [w["expert_id"] for w in (await get_order(world, order_id))["candidates"]["waiting"]] == ["maija", "pekka"]
    await world.accept(order_id, await open_offer_to(world, order_id, "maija"))
    await decline(world, order_id, OTHER_EXPERT)
    seen = await get_order(world, order_id)
    assert [w["expert_id"] for w in seen["candidates"]["waiting"]] == ["liisa"]
    assert seen["candidates"]["answered"] == [{"expert_id": "maija", "answer": "accepted"},
                                              {"expert_id": "pekka", "answer": "declined"}]


async def test_an_expert_who_cancels_frees_the_place_for_the_next_candidate_and_an_orderer_who_cancels_not(world):
    order_id = await world.order(candidates=["maija", "pekka", "liisa"])
    accepted = await open_offer_to(world, order_id, "maija")
    engagement_id = await world.accept(order_id, accepted)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="in hospital"), EXPERT,
               world.deps)
    [moved] = [e.payload for e in await world.events("OfferMade") if e.payload.expert_id == "pekka"]
    assert (moved.reason, moved.rank, moved.after_offer_id) == ("cancelled", 2, accepted)

    # The orderer cancelling an engagement means they no longer want it: nobody else is offered the place.
    second = await world.accept(order_id, await open_offer_to(world, order_id, "pekka"), OTHER_EXPERT)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=second, reason="the class moved"), ORDERER,
               world.deps)
    assert [e.payload.expert_id for e in await world.events("OfferMade")] == ["maija", "pekka"]


async def test_a_candidate_who_cannot_be_offered_is_skipped_and_running_out_is_recorded_once(world):
    world.views.listed.pop("liisa")
    order_id = await world.order(candidates=["maija", "liisa"])
    await decline(world, order_id, EXPERT)

    seen = (await get_order(world, order_id))["candidates"]
    assert seen["skipped"] == [{"expert_id": "liisa", "reason": "not_listed"}]
    assert (seen["waiting"], seen["next"], seen["none_left"]) == ([], [], True)
    [none_left] = await world.events("NoCandidatesLeft")
    assert none_left.payload.still_wanted == 1

    # A new list starts over: the orderer names more, and the first of them is offered the task.
    made = await call(h.rank_candidates, m.RankCandidates(order_id=order_id, candidates=["pekka"]), ORDERER,
                      world.deps)
    assert [o["expert_id"] for o in made["offers"]] == ["pekka"]
    assert len(await world.events("NoCandidatesLeft")) == 1


async def test_the_coordinator_may_rank_candidates_another_orderer_may_not(world):
    order_id = await world.order()
    rank = m.RankCandidates(order_id=order_id, candidates=["pekka"])
    with pytest.raises(Forbidden):
        await call(h.rank_candidates, rank, OTHER_ORDERER, world.deps)
    assert [o["expert_id"] for o in (await call(h.rank_candidates, rank, COORDINATOR, world.deps))["offers"]] == [
        "pekka"]


async def test_an_expert_offered_the_task_does_not_see_the_other_candidates(world):
    order_id = await world.order(candidates=["maija", "pekka"])
    seen = await get_order(world, order_id, EXPERT)
    assert seen["candidates"] is None and [o["expert_id"] for o in seen["offers"]] == ["maija"]


async def test_a_candidate_named_twice_is_refused_naming_the_field_and_nothing_is_written(world):
    with pytest.raises(Invalid) as error:
        await world.order(candidates=["maija", "pekka", "maija"])
    assert [(p.field, p.reason) for p in error.value.fields] == [("candidates", "names expert maija twice")]
    assert await world.store.read_all() == []

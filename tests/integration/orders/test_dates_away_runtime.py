"""Dates away on a real NATS and PostgreSQL, beside the registry: the dates reach orders sealed with the registry's
key, so orders asks the registry who is away on the order's date, in the name of whoever offers (their token
relayed, with their rights there and no more). An offer on an expert's date away is refused naming the reason; a
ranked candidate away that day is skipped for the next."""

import datetime as dt

import pytest

from shared.messaging.rpc import RemoteError
from tests.integration.orders.stack import (
    EXPERT,
    ORDERER,
    TASK_DAY,
    listed_expert,
    listed_ngo_expert_and_orderer,
    place_order,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

PEKKA = {"id": "pekka", "role": "expert"}


async def test_an_offer_on_a_date_away_is_refused_and_a_ranked_candidate_away_is_skipped(stack):
    await listed_ngo_expert_and_orderer(stack)
    await listed_expert(stack, PEKKA, "Pekka P")
    away = {"starts_on": str(TASK_DAY - dt.timedelta(days=1)), "ends_on": str(TASK_DAY)}
    await stack.registry("set_availability", actor=EXPERT, expert_id="maija", weekdays=[1, 2, 3, 4, 5, 6, 7],
                         blackouts=[away])

    order_id = await place_order(stack)
    with pytest.raises(RemoteError) as refused:
        await stack.cmd("make_offer", actor=ORDERER, order_id=order_id, expert_id="maija")
    assert refused.value.code == "validation"
    [problem] = refused.value.fields
    assert problem["field"] == "expert_id" and f"is away on {TASK_DAY}" in problem["reason"]

    ranked = await stack.cmd("rank_candidates", actor=ORDERER, order_id=order_id, candidates=["maija", "pekka"])
    assert [offer["expert_id"] for offer in ranked["offers"]] == ["pekka"]
    order = await stack.query("get_order", actor=ORDERER, order_id=order_id)
    assert order["candidates"]["skipped"] == [{"expert_id": "maija", "reason": "away"}]

    # Another day, she is not away: the registry tells only who is away on the day asked.
    other_day = (await stack.cmd("place_order", actor=ORDERER, task_type="lecture", topic="recovery",
                                 date=str(TASK_DAY + dt.timedelta(days=7)), duration_hours="2", place="Turku",
                                 fee={"mode": "recommended"}))["order_id"]
    offered = await stack.cmd("make_offer", actor=ORDERER, order_id=other_day, expert_id="maija")
    assert offered["expert_id"] == "maija"
    # Orders asks in the orderer's name: the registry answers the orderer, and would refuse an expert.
    with pytest.raises(RemoteError) as forbidden:
        await stack.registry_query("experts_away", actor=EXPERT, expert_ids=["maija"], date=str(TASK_DAY))
    assert forbidden.value.code == "forbidden"

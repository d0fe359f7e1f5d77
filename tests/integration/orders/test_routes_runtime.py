"""The routes of an order on a real NATS and PostgreSQL, beside the registry: the registry's records of
organizations, memberships and trainings reach orders through JetStream, and each route runs end to end through
the services' commands (an organization's contact person proposing its member, an order directly to a trained
expert not in the bank, the coordinator taking an order by phone and routing it)."""

import pytest

from shared.messaging.rpc import RemoteError
from tests.integration.orders.stack import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    TASK_DAY,
    TODAY,
    listed_ngo_expert_and_orderer,
    place_order,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
AINO = {"id": "aino", "role": "expert"}


async def trained_member_not_in_the_bank(on) -> None:
    """Aino: registered to mieli and through its basic training, never listed in the bank."""
    await on.registry("register_expert", actor=COORDINATOR, expert_id="aino", organization_id="mieli",
                         name="Aino A", email="aino@example.org")
    await on.registry("record_training", actor=COORDINATOR, expert_id="aino", completed_on=str(TODAY),
                         trained_by="mieli")
    await on.orders_table_has("members WHERE expert_id = 'aino' AND trained")


async def test_through_an_organization_its_contact_person_proposes_a_member_who_takes_it_on(stack):
    await listed_ngo_expert_and_orderer(stack)
    await trained_member_not_in_the_bank(stack)
    order_id = await place_order(stack, organization_id="mieli")

    [incoming] = await stack.query("list_incoming_orders", actor=CONTACT)
    assert (incoming["order_id"], incoming["route"], incoming["awaiting"]) == (order_id, "organization",
                                                                              "organization")
    proposed = await stack.cmd("propose_experts", actor=CONTACT, order_id=order_id, candidates=["aino"])
    [offer] = proposed["offers"]
    accepted = await stack.cmd("accept_offer", actor=AINO, order_id=order_id, offer_id=offer["offer_id"])

    opened = await stack.published("EngagementOpened")
    assert (opened["engagement_id"], opened["payload"]["expert_id"]) == (accepted["engagement_id"], "aino")
    assert (await stack.published("ExpertsProposed"))["payload"]["candidates"] == ["aino"]


async def test_directly_to_a_trained_member_and_refused_for_someone_untrained(stack):
    await listed_ngo_expert_and_orderer(stack)
    await trained_member_not_in_the_bank(stack)
    placed = await stack.cmd("place_order", actor=ORDERER, task_type="lecture", topic="recovery", date=str(TASK_DAY),
                             duration_hours="2", place="Turku", fee={"mode": "recommended"}, expert_id="aino")
    assert placed["route"] == "direct" and [o["expert_id"] for o in placed["offers"]] == ["aino"]

    with pytest.raises(RemoteError) as refused:
        await place_order(stack, expert_id="ghost")
    assert refused.value.code == "validation" and [f["field"] for f in refused.value.fields] == ["expert_id"]
    assert [o["order_id"] for o in await stack.query("list_orders", actor=ORDERER)] == [placed["order_id"]]


async def test_the_coordinator_takes_an_order_an_organization_declines_it_is_routed_on(stack):
    await listed_ngo_expert_and_orderer(stack)
    taken = await stack.cmd("take_order", actor=COORDINATOR, orderer_id="school-1", taken_via="phone",
                            task_type="lecture", topic="recovery", date=str(TASK_DAY), duration_hours="2",
                            place="Turku", fee={"mode": "recommended"}, organization_id="mieli")
    order_id = taken["order_id"]
    await stack.cmd("decline_order", actor=CONTACT, order_id=order_id, reason="nobody free that week")

    [queued] = await stack.query("list_orders_to_route", actor=COORDINATOR)
    assert (queued["order_id"], queued["taken_by"], queued["declined_by"]) == (order_id, "coord", ["mieli"])
    await stack.cmd("rank_candidates", actor=COORDINATOR, order_id=order_id, candidates=["maija"])

    assert await stack.query("list_orders_to_route", actor=COORDINATOR) == []
    [offer] = await stack.query("list_offers", actor=EXPERT)
    assert offer["order_id"] == order_id
    placed = await stack.published("OrderPlaced")
    assert (placed["payload"]["taken_by"], placed["payload"]["route"], placed["actor"]["id"]) == (
        "coord", "coordinator", "coord")

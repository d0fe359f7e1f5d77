"""The four ways an order reaches its experts: through an organization (its contact person proposes experts, or
declines), directly to an expert the orderer knows (listed or not, a trained member of an organization), through
the coordinator (who takes it for the orderer and routes it), and from the bank."""

import uuid

import pytest

from services.orders import handlers as h, messages as m
from services.orders.routing_views import Member
from shared.errors import Conflict, Forbidden, Invalid
from tests.unit.calls import call
from tests.unit.orders.fakes import CONTACT, COORDINATOR, EXPERT, ORDERER, World

AINO = EXPERT.model_copy(update={"id": "aino"})  # trained, a member of mieli, not in the bank
OTHER_CONTACT = CONTACT.model_copy(update={"id": "contact-2", "organization_id": "kuntoutus"})


@pytest.fixture
def world():
    world = World()
    world.views.members["aino"] = Member(["mieli"], trained=True)
    world.views.members["untrained"] = Member(["mieli"])
    world.views.kinds["kuntoutus"] = "ngo"
    return world


async def get_order(world, order_id, actor=ORDERER):
    return await call(h.get_order, m.GetOrder(order_id=order_id), actor, world.deps)


async def incoming(world, contact=CONTACT):
    return [o["order_id"] for o in await call(h.list_incoming_orders, m.ListIncomingOrders(), contact, world.deps)]


async def to_route(world):
    return [o["order_id"] for o in await call(h.list_orders_to_route, m.ListOrdersToRoute(), COORDINATOR, world.deps)]


async def invalid_field(world, handler, command, actor):
    """The field a validation error names; nothing of the command was recorded."""
    before = len(await world.store.read_all())
    with pytest.raises(Invalid) as refused:
        await call(handler, command, actor, world.deps)
    assert len(await world.store.read_all()) == before
    return [problem.field for problem in refused.value.fields]


def order_terms(**extra):
    return m.PlaceOrder.model_validate({
        "task_type": "lecture", "topic": "living with psychosis", "date": "2026-03-20", "duration_hours": "2",
        "place": "Turku",
        "fee": {"mode": "recommended"}, **extra}).model_dump()


async def test_an_order_to_an_organization_waits_for_its_contact_person_who_proposes_members(world):
    order_id = await world.order(organization_id="mieli")
    seen = await get_order(world, order_id, CONTACT)
    assert (seen["route"], seen["organization_id"], seen["awaiting"]) == ("organization", "mieli", "organization")
    assert await incoming(world) == [str(order_id)]
    assert await incoming(world, OTHER_CONTACT) == []

    proposed = await call(h.propose_experts, m.ProposeExperts(order_id=order_id, candidates=["aino", "maija"]),
                          CONTACT, world.deps)

    assert [o["expert_id"] for o in proposed["offers"]] == ["aino"]  # a member not in the bank is offered it
    [event] = await world.events("ExpertsProposed")
    assert (event.payload.organization_id, event.payload.candidates, event.actor) == ("mieli", ["aino", "maija"],
                                                                                      CONTACT)
    seen = await get_order(world, order_id)
    assert seen["awaiting"] is None and seen["candidates"]["next"] == ["maija"]


async def test_only_the_addressed_organization_proposes_and_only_its_trained_members(world):
    order_id = await world.order(organization_id="mieli")
    with pytest.raises(Forbidden):
        await call(h.propose_experts, m.ProposeExperts(order_id=order_id, candidates=["aino"]), OTHER_CONTACT,
                   world.deps)
    for who in ("untrained", "nobody"):
        assert await invalid_field(world, h.propose_experts, m.ProposeExperts(order_id=order_id, candidates=[who]),
                                   CONTACT) == ["candidates"]
    await call(h.propose_experts, m.ProposeExperts(order_id=order_id, candidates=["aino"]), CONTACT, world.deps)
    with pytest.raises(Conflict):  # already proposed: it waits for their answers
        await call(h.propose_experts, m.ProposeExperts(order_id=order_id, candidates=["maija"]), CONTACT, world.deps)


async def test_an_organization_declines_and_the_coordinator_routes_the_order_elsewhere(world):
    order_id = await world.order(organization_id="mieli")
    await call(h.decline_order, m.DeclineOrder(order_id=order_id, reason="no one free in March"), CONTACT, world.deps)

    assert await incoming(world) == []
    assert await to_route(world) == [str(order_id)]
    seen = await get_order(world, order_id)
    assert (seen["awaiting"], seen["declined_by"]) == ("coordinator", ["mieli"])
    with pytest.raises(Conflict):
        await call(h.route_order, m.RouteOrder(order_id=order_id, organization_id="mieli"), COORDINATOR, world.deps)
    assert await invalid_field(world, h.route_order, m.RouteOrder(order_id=order_id, organization_id="unknown"),
                               COORDINATOR) == ["organization_id"]

    await call(h.route_order, m.RouteOrder(order_id=order_id, organization_id="kuntoutus"), COORDINATOR, world.deps)

    assert await to_route(world) == []
    assert await incoming(world, OTHER_CONTACT) == [str(order_id)]
    [routed] = await world.events("OrderRoutedToOrganization")
    assert (routed.payload.organization_id, routed.actor) == ("kuntoutus", COORDINATOR)


async def test_an_order_directly_to_a_trained_member_not_in_the_bank(world):
    placed = await call(h.place_order, m.PlaceOrder(**order_terms(expert_id="aino")), ORDERER, world.deps)
    assert placed["route"] == "direct"
    [offer] = placed["offers"]
    assert (offer["expert_id"], offer["status"]) == ("aino", "open")
    await world.accept(uuid.UUID(placed["order_id"]), uuid.UUID(offer["offer_id"]), AINO)

    for who in ("untrained", "nobody"):
        assert await invalid_field(world, h.place_order, m.PlaceOrder(**order_terms(expert_id=who)),
                                   ORDERER) == ["expert_id"]


async def test_an_order_from_the_bank_offers_only_to_listed_experts(world):
    order_id = await world.order(candidates=["aino", "maija"])
    seen = await get_order(world, order_id)
    assert seen["route"] == "bank"
    assert seen["candidates"]["skipped"] == [{"expert_id": "aino", "reason": "not_listed"}]
    assert [w["expert_id"] for w in seen["candidates"]["waiting"]] == ["maija"]


async def test_an_order_names_one_route_and_a_known_organization(world):
    assert await invalid_field(world, h.place_order, m.PlaceOrder(**order_terms(candidates=["maija"],
                                                                              organization_id="mieli")),
                               ORDERER) == ["organization_id"]
    assert await invalid_field(world, h.place_order, m.PlaceOrder(**order_terms(organization_id="unknown")),
                               ORDERER) == ["organization_id"]


async def test_the_coordinator_takes_an_order_for_an_orderer_and_routes_it_to_candidates(world):
    taken = await call(h.take_order, m.TakeOrder(**order_terms(), orderer_id=ORDERER.id, taken_via="phone"),
                       COORDINATOR, world.deps)
    order_id = uuid.UUID(taken["order_id"])
    [placed] = await world.events("OrderPlaced")
    assert (placed.payload.orderer_id, placed.payload.taken_by, placed.payload.taken_via, placed.payload.route) == (
        ORDERER.id, COORDINATOR.id, "phone", "coordinator")
    assert await to_route(world) == [str(order_id)]
    assert [o["order_id"] for o in await call(h.list_orders, m.ListOrders(), ORDERER, world.deps)] == [str(order_id)]

    await call(h.rank_candidates, m.RankCandidates(order_id=order_id, candidates=["aino"]), COORDINATOR, world.deps)

    assert await to_route(world) == []
    [offer] = (await get_order(world, order_id))["offers"]
    assert offer["expert_id"] == "aino"  # the coordinator may route to any trained member
    await call(h.decline_offer, m.DeclineOffer(order_id=order_id, offer_id=offer["offer_id"], reason="busy"), AINO,
               world.deps)
    assert await to_route(world) == [str(order_id)]  # out of candidates: back to the coordinator


async def test_the_coordinator_routes_a_taken_order_to_an_organization_at_once(world):
    taken = await call(h.take_order, m.TakeOrder(**order_terms(organization_id="mieli"), orderer_id=ORDERER.id,
                                                 taken_via="email"), COORDINATOR, world.deps)
    assert (taken["route"], taken["awaiting"]) == ("coordinator", "organization")
    assert await incoming(world) == [taken["order_id"]]
    assert await to_route(world) == []


async def test_the_coordinator_takes_orders_only_for_an_orderer_with_credentials(world):
    assert await invalid_field(world, h.take_order, m.TakeOrder(**order_terms(), orderer_id="stranger",
                                                                taken_via="phone"), COORDINATOR) == ["orderer_id"]
    with pytest.raises(Forbidden):
        await call(h.take_order, m.TakeOrder(**order_terms(), orderer_id=ORDERER.id, taken_via="phone"), ORDERER,
                   world.deps)

"""The orders service through its handlers: roles, ownership, one transaction per command, offers and the
expiry job, on the in-memory store."""

import datetime as dt
import uuid

import pytest

from services.orders import handlers as h, messages as m
from services.orders.domain import Agreement, Credentials
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import SYSTEM
from tests.unit.calls import call
from tests.unit.orders.fakes import (
    AUDITOR,
    CONTACT,
    COORDINATOR,
    EXPERT,
    ORDERER,
    OTHER_EXPERT,
    OTHER_ORDERER,
    TASK_DAY,
    WARD,
    World,
    delivered,
)


@pytest.fixture
def world():
    return World()


# -- placing and changing orders -------------------------------------------------------------------------

async def test_an_orderer_with_credentials_places_an_order(world):
    order_id = await world.order()
    [placed] = await world.events("OrderPlaced")
    assert placed.payload.order_id == order_id
    assert placed.payload.orderer_id == ORDERER.id and placed.payload.orderer_organization_id == "school-org"


@pytest.mark.parametrize("actor", [EXPERT, COORDINATOR, CONTACT, AUDITOR])
async def test_only_an_orderer_places_an_order(world, actor):
    with pytest.raises(Forbidden, match="allowed: orderer"):
        await world.order(actor=actor)


async def test_an_orderer_whose_credentials_were_revoked_may_not_order(world):
    world.views.orderers[ORDERER.id] = Credentials(ORDERER.id, revoked=True)
    with pytest.raises(Forbidden, match="no valid credentials"):
        await world.order()
    assert await world.events("OrderPlaced") == []


async def test_placing_the_same_command_twice_records_one_order(world):
    command_id = uuid.uuid4()
    first = await world.order(command_id=command_id)
    assert await world.order(command_id=command_id) == first
    assert len(await world.events("OrderPlaced")) == 1


async def test_only_the_orderer_changes_the_order_and_not_after_delivery(world):
    order_id, engagement_id = await world.engagement(experts_wanted=2)
    with pytest.raises(Forbidden, match="not yours"):
        await call(h.change_order, m.ChangeOrder(order_id=order_id, topic="x"), OTHER_ORDERER, world.deps)
    changed = await call(
        h.change_order, m.ChangeOrder(order_id=order_id, topic="recovery stories"), ORDERER, world.deps
    )
    assert changed == {"order_id": str(order_id), "changed": ["topic"], "proposed_to": []}  # no topic in clear
    assert (await call(h.get_order, m.GetOrder(order_id=order_id), ORDERER, world.deps))["topic"] == "recovery stories"
    await delivered(world, engagement_id)
    with pytest.raises(Conflict, match="already delivered"):
        await call(h.change_order, m.ChangeOrder(order_id=order_id, topic="again"), ORDERER, world.deps)


async def test_cancelling_an_order_cancels_its_engagements_in_the_same_command(world):
    order_id, engagement_id = await world.engagement(experts_wanted=2)
    await world.offer(order_id, OTHER_EXPERT)
    with pytest.raises(Forbidden):
        await call(h.cancel_order, m.CancelOrder(order_id=order_id, reason="x"), OTHER_ORDERER, world.deps)
    result = await call(
        h.cancel_order, m.CancelOrder(order_id=order_id, reason="course cancelled"), ORDERER, world.deps
    )
    assert result["cancelled_engagements"] == [str(engagement_id)]
    [withdrawn] = await world.events("OfferWithdrawn")
    assert withdrawn.payload.expert_id == OTHER_EXPERT.id
    [cancelled] = await world.events("EngagementCancelled")
    assert cancelled.engagement_id == engagement_id
    assert (cancelled.payload.cancelled_by, cancelled.payload.after_signing) == ("orderer", False)


# -- offers ----------------------------------------------------------------------------------------------

async def test_an_offer_to_an_expert_who_is_not_listed_names_the_field(world):
    order_id = await world.order()
    with pytest.raises(Invalid) as error:
        await call(h.make_offer, m.MakeOffer(order_id=order_id, expert_id="ghost"), ORDERER, world.deps)
    assert [(p.field, p.reason) for p in error.value.fields] == [("expert_id", "is not listed in the experience bank")]


async def test_the_ngo_agreement_rule_for_the_county_s_own_services(world):
    world.list_expert("ngo-expert", county_trained=False)
    order_id = await world.order(WARD)  # the county's ward: its tasks are in the county's services
    with pytest.raises(Invalid) as error:
        await world.offer(order_id, expert=EXPERT.model_copy(update={"id": "ngo-expert"}), actor=WARD)
    assert error.value.fields[0].field == "expert_id" and "organization agreement" in error.value.fields[0].reason

    world.list_expert("ngo-expert", agreements=(Agreement(dt.date(2025, 1, 1), valid_until=TASK_DAY),))
    assert await world.offer(order_id, expert=EXPERT.model_copy(update={"id": "ngo-expert"}), actor=WARD)


@pytest.mark.parametrize("actor, allowed", [
    (ORDERER, True), (COORDINATOR, True), (OTHER_ORDERER, False), (EXPERT, False), (CONTACT, False), (AUDITOR, False),
])
async def test_the_order_s_orderer_or_a_coordinator_makes_offers(world, actor, allowed):
    order_id = await world.order()
    if allowed:
        assert await world.offer(order_id, actor=actor)
    else:
        with pytest.raises(Forbidden):
            await world.offer(order_id, actor=actor)


async def test_accepting_records_the_acceptance_and_opens_the_engagement_with_its_id(world):
    order_id = await world.order()
    offer_id = await world.offer(order_id)
    command_id = uuid.uuid4()
    engagement_id = await world.accept(order_id, offer_id, command_id=command_id)
    assert engagement_id == uuid.uuid5(command_id, "engagement")
    [accepted] = await world.events("OfferAccepted")
    [opened] = await world.events("EngagementOpened")
    assert accepted.payload.engagement_id == opened.payload.engagement_id == engagement_id
    assert accepted.engagement_id == opened.engagement_id == engagement_id
    assert opened.stream_id == f"engagement-{engagement_id}"
    assert (opened.payload.expert_id, opened.payload.orderer_id) == (EXPERT.id, ORDERER.id)


async def test_a_second_accept_of_the_same_offer_is_a_conflict(world):
    order_id = await world.order()
    offer_id = await world.offer(order_id)
    await world.accept(order_id, offer_id)
    with pytest.raises(Conflict, match="already accepted"):
        await world.accept(order_id, offer_id)
    assert len(await world.events("EngagementOpened")) == 1


async def test_only_the_expert_offered_answers_the_offer(world):
    order_id = await world.order()
    offer_id = await world.offer(order_id)
    with pytest.raises(Forbidden, match="another expert"):
        await world.accept(order_id, offer_id, expert=OTHER_EXPERT)
    with pytest.raises(Forbidden, match="allowed: expert"):
        await world.accept(order_id, offer_id, expert=ORDERER)
    with pytest.raises(Forbidden, match="another expert"):
        await call(
            h.decline_offer, m.DeclineOffer(order_id=order_id, offer_id=offer_id, reason="x"), OTHER_EXPERT, world.deps
        )
    await call(h.decline_offer, m.DeclineOffer(order_id=order_id, offer_id=offer_id, reason="busy"), EXPERT, world.deps)
    with pytest.raises(Conflict, match="already declined"):
        await world.accept(order_id, offer_id)


async def test_the_expiry_job_expires_offers_past_their_time_once(world):
    order_id = await world.order()
    offer_id = await world.offer(order_id)
    assert await h.expire_offers(world.deps) == 0
    world.clock.now += dt.timedelta(days=7)
    with pytest.raises(Conflict, match="expired"):
        await world.accept(order_id, offer_id)
    assert await h.expire_offers(world.deps) == 1
    assert await h.expire_offers(world.deps) == 0
    [expired] = await world.events("OfferExpired")
    assert expired.payload.offer_id == offer_id and expired.actor == SYSTEM

"""The orders service through its handlers: roles, ownership, the read model's facts, one transaction per
command, the consumers of contracts' and feedback's events, and the expiry job, on the in-memory store."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from services.orders import handlers as h, messages as m
from services.orders.domain import Agreement, Credentials, EngagementStatus
from services.orders.projections import OrdersTables
from services.registry.events import ExpertErased, ExpertListed
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import SYSTEM
from tests.unit.calls import call, consume
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
    fee_approved,
    feedback_completed,
    published_by,
    signed,
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
    assert changed == {"order_id": str(order_id), "changed": ["topic"]}  # kept for retries: no topic in clear
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


# -- engagements -----------------------------------------------------------------------------------------

async def test_delivery_before_both_signed_is_refused(world):
    _, engagement_id = await world.engagement()
    confirm = m.ConfirmDelivery(engagement_id=engagement_id, actual_hours=Decimal(2))
    with pytest.raises(Conflict, match="the contract is not signed by both"):
        await call(h.confirm_delivery, confirm, ORDERER, world.deps)
    await signed(world, engagement_id)
    assert (await call(h.confirm_delivery, confirm, ORDERER, world.deps))["status"] == "delivered"


@pytest.mark.parametrize("actor, error", [(EXPERT, "allowed: orderer"), (OTHER_ORDERER, "not yours"),
                                          (COORDINATOR, "allowed: orderer")])
async def test_only_the_engagement_s_orderer_confirms_delivery(world, actor, error):
    _, engagement_id = await world.engagement()
    await signed(world, engagement_id)
    with pytest.raises(Forbidden, match=error):
        await call(
            h.confirm_delivery,
            m.ConfirmDelivery(engagement_id=engagement_id, actual_hours=Decimal(2)),
            actor,
            world.deps,
        )


async def test_either_party_cancels_and_after_signing_is_noted(world):
    _, engagement_id = await world.engagement()
    with pytest.raises(Forbidden, match="not yours"):
        await call(
            h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="x"), OTHER_EXPERT, world.deps
        )
    with pytest.raises(Forbidden, match="allowed: orderer, expert"):
        await call(
            h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="x"), COORDINATOR, world.deps
        )
    await signed(world, engagement_id)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="ill"), EXPERT, world.deps)
    [cancelled] = await world.events("EngagementCancelled")
    assert (cancelled.payload.cancelled_by, cancelled.payload.after_signing) == ("expert", True)
    assert cancelled.engagement_id == engagement_id


async def test_closing_by_hand_before_fee_and_feedback_is_refused_naming_what_is_missing(world):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    close = m.EngagementCommand(engagement_id=engagement_id)
    with pytest.raises(Conflict, match="the fee is not approved and the feedback forms are not all in"):
        await call(h.close_engagement, close, COORDINATOR, world.deps)
    await feedback_completed(world, engagement_id)
    with pytest.raises(Conflict, match=r"cannot close yet: the fee is not approved$"):
        await call(h.close_engagement, close, COORDINATOR, world.deps)
    with pytest.raises(Forbidden):
        await call(h.close_engagement, m.EngagementCommand(engagement_id=engagement_id), EXPERT, world.deps)
    with pytest.raises(Forbidden):
        await call(h.close_engagement, m.EngagementCommand(engagement_id=engagement_id), OTHER_ORDERER, world.deps)


# -- events from contracts and feedback ------------------------------------------------------------------

async def test_a_fully_signed_contract_confirms_the_engagement_once(world):
    _, engagement_id = await world.engagement()
    signature = await signed(world, engagement_id)
    await consume(h.confirm_engagement, signature, world.deps)  # delivered again: nothing new
    [confirmed] = await world.events("EngagementConfirmed")
    assert confirmed.payload.contract_id == signature.payload.contract_id
    assert confirmed.causation_id == signature.event_id and confirmed.engagement_id == engagement_id
    assert (await world.engagement_state(engagement_id)).status is EngagementStatus.confirmed


@pytest.mark.parametrize("fee_first", [True, False])
async def test_the_engagement_closes_itself_when_fee_and_feedback_are_both_in(world, fee_first):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    first, second = (fee_approved, feedback_completed) if fee_first else (feedback_completed, fee_approved)
    await first(world, engagement_id)
    assert (await world.engagement_state(engagement_id)).status is not EngagementStatus.closed
    last = await second(world, engagement_id)
    [closed] = await world.events("EngagementClosed")
    assert closed.causation_id == last.event_id and closed.engagement_id == engagement_id
    assert (await world.engagement_state(engagement_id)).status is EngagementStatus.closed


async def test_every_event_of_an_engagement_carries_its_id(world):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    await fee_approved(world, engagement_id)
    await feedback_completed(world, engagement_id)
    stream = await world.store.read_stream(f"engagement-{engagement_id}")
    assert [e.event_type for e in stream] == ["EngagementOpened", "EngagementConfirmed", "DeliveryConfirmed",
                                              "FeeApprovalNoted", "FeedbackCompletionNoted", "EngagementClosed"]
    assert {e.engagement_id for e in stream} == {engagement_id}


async def test_registry_facts_go_to_the_registry_view_and_the_table_follows_each(world):
    listed = await published_by("registry", ExpertListed(expert_id="maija", organization_ids=["mieli"],
                                                         county_trained=False, topics=["x"]), None)
    await consume(h.keep_registry_view, listed, world.deps)
    assert await world.views.listed_expert("maija") is not None
    registry_facts = {cls.event_type() for cls in h.CONSUMES["registry"]}
    assert registry_facts <= OrdersTables(None, "orders").follows()
    assert registry_facts <= world.views.follows()


async def test_each_text_is_sealed_with_its_authors_key_and_an_erased_expert_s_reasons_are_gone(world):
    order_id = await world.order(experts_wanted=2)
    offer_id = await world.offer(order_id)
    await call(h.decline_offer, m.DeclineOffer(order_id=order_id, offer_id=offer_id, reason="my depression relapsed"),
               EXPERT, world.deps)
    engagement_id = await world.accept(order_id, await world.offer(order_id, OTHER_EXPERT), OTHER_EXPERT)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="in hospital"),
               OTHER_EXPERT, world.deps)
    subjects = {(e.event_type, e.subject_id) for e in world.store.published if e.event_type in {
        "OrderPlaced", "OfferDeclined", "EngagementOpened", "EngagementCancelled"}}
    assert subjects == {("OrderPlaced", ORDERER.id), ("OfferDeclined", EXPERT.id),
                        ("EngagementOpened", ORDERER.id), ("EngagementCancelled", OTHER_EXPERT.id)}
    assert "relapsed" not in str(world.store.published) and "psychosis" not in str(world.store.published)

    for expert in (EXPERT, OTHER_EXPERT):
        erased = await published_by("registry", ExpertErased(expert_id=expert.id), None)
        await consume(h.on_expert_erased, erased, world.deps)
    [declined] = await world.events("OfferDeclined")
    [cancelled] = await world.events("EngagementCancelled")
    assert (declined.payload.reason, cancelled.payload.reason) == (None, None)
    assert (await world.events("OrderPlaced"))[0].payload.topic == "living with psychosis"  # the orderer's
    assert await world.views.listed_expert(EXPERT.id) is None


# -- queries ---------------------------------------------------------------------------------------------

async def test_who_sees_an_engagement(world):
    _, engagement_id = await world.engagement()
    for actor in (ORDERER, EXPERT, COORDINATOR, AUDITOR):
        view = await call(h.get_engagement, m.GetEngagement(engagement_id=engagement_id), actor, world.deps)
        assert (view["status"], view["engagement_id"]) == ("opened", str(engagement_id))
    for actor in (OTHER_ORDERER, OTHER_EXPERT, CONTACT):
        with pytest.raises(Forbidden):
            await call(h.get_engagement, m.GetEngagement(engagement_id=engagement_id), actor, world.deps)


async def test_an_expert_sees_only_their_own_offers_on_an_order(world):
    order_id = await world.order(experts_wanted=2)
    await world.offer(order_id)
    await world.offer(order_id, OTHER_EXPERT)
    full = await call(h.get_order, m.GetOrder(order_id=order_id), ORDERER, world.deps)
    assert {o["expert_id"] for o in full["offers"]} == {EXPERT.id, OTHER_EXPERT.id}
    own = await call(h.get_order, m.GetOrder(order_id=order_id), EXPERT, world.deps)
    assert [o["expert_id"] for o in own["offers"]] == [EXPERT.id]
    with pytest.raises(Forbidden):
        await call(h.get_order, m.GetOrder(order_id=order_id), OTHER_ORDERER, world.deps)


async def test_each_party_lists_their_own_engagements(world):
    _, mine = await world.engagement()
    other_order = await world.order(actor=OTHER_ORDERER)
    theirs = await world.accept(other_order, await world.offer(other_order, OTHER_EXPERT, actor=OTHER_ORDERER),
                                expert=OTHER_EXPERT)
    await signed(world, theirs)

    async def listed(actor, status=None):
        rows = await call(h.list_engagements, m.ListEngagements(status=status), actor, world.deps)
        return {row["engagement_id"] for row in rows}

    assert await listed(ORDERER) == await listed(EXPERT) == {str(mine)}
    assert await listed(COORDINATOR) == {str(mine), str(theirs)}
    assert await listed(COORDINATOR, EngagementStatus.confirmed) == {str(theirs)}
    with pytest.raises(Forbidden):
        await listed(CONTACT)


# -- an expert's offers and an orderer's orders ------------------------------------------------------------

async def test_an_expert_lists_the_offers_made_to_them_with_the_task_and_nobody_elses(world):
    first = await world.order(topic="living with psychosis")
    second = await world.order(topic="recovery", date=TASK_DAY + dt.timedelta(days=5))
    first_offer = await world.offer(first, expires_at=world.clock.now + dt.timedelta(days=2))
    await world.offer(second, expires_at=world.clock.now + dt.timedelta(days=3))  # the later expiry: listed first
    await world.offer(second, expert=OTHER_EXPERT)
    engagement_id = await world.accept(first, first_offer)
    offers = await call(h.list_offers, m.ListOffers(), EXPERT, world.deps)
    assert [(o["topic"], o["status"], o["engagement_id"]) for o in offers] == [
        ("recovery", "open", None), ("living with psychosis", "accepted", str(engagement_id))]
    assert [o["topic"] for o in await call(h.list_offers, m.ListOffers(status="open"), EXPERT, world.deps)] == \
        ["recovery"]
    assert [o["expert_id"] for o in await call(h.list_offers, m.ListOffers(), OTHER_EXPERT, world.deps)] == ["pekka"]
    for actor in (ORDERER, COORDINATOR, CONTACT, AUDITOR):
        with pytest.raises(Forbidden):
            await call(h.list_offers, m.ListOffers(), actor, world.deps)


async def test_an_orderer_lists_their_own_orders_newest_first(world):
    first = await world.order(topic="first")
    await world.order(topic="others", actor=OTHER_ORDERER)
    second = await world.order(topic="second")
    await world.offer(second)
    mine = await call(h.list_orders, m.ListOrders(), ORDERER, world.deps)
    assert [(o["order_id"], o["topic"], len(o["offers"])) for o in mine] == [(str(second), "second", 1),
                                                                                (str(first), "first", 0)]
    assert [o["topic"] for o in await call(h.list_orders, m.ListOrders(), OTHER_ORDERER, world.deps)] == ["others"]
    for actor in (EXPERT, COORDINATOR, AUDITOR):
        with pytest.raises(Forbidden):
            await call(h.list_orders, m.ListOrders(), actor, world.deps)

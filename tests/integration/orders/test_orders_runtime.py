"""The orders service on a real NATS and PostgreSQL, beside the registry: the registry's facts reach the
orders read tables through JetStream, orders decides with them, and engagements move on contracts' and
feedback's events (fed through the real consumer, in its transaction, without publishing them by hand)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from services.contracts.events import ContractCancelled, ContractFullySigned, FeeApproved, FeePaid
from services.feedback.events import FeedbackCompleted
from services.orders import service as orders
from services.orders.handlers import expire_offers
from services.orders.projections import OrdersTables
from shared.clock import Clock
from shared.messaging.rpc import RemoteError
from shared.unit_of_work import PostgresUnitOfWork
from tests.integration.orders.stack import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    TASK_DAY,
    TODAY,
    WARD,
    Stack,
    listed_ngo_expert_and_orderer,
    place_order,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]


async def test_a_listed_expert_accepts_an_offer_and_the_engagement_opens(stack):
    await listed_ngo_expert_and_orderer(stack)
    order_id = await place_order(stack)

    with pytest.raises(RemoteError) as refused:
        await stack.cmd("make_offer", actor=ORDERER, order_id=order_id, expert_id="ghost")
    assert refused.value.code == "validation"
    assert refused.value.fields == [{"field": "expert_id", "reason": "is not listed in the experience bank",
                                     "allowed": "an expert listed in the bank"}]

    offer = await stack.cmd("make_offer", actor=ORDERER, order_id=order_id, expert_id="maija")
    accepted = await stack.cmd("accept_offer", actor=EXPERT, order_id=order_id, offer_id=offer["offer_id"])
    engagement_id = accepted["engagement_id"]

    opened = await stack.published("EngagementOpened")
    assert opened["engagement_id"] == opened["payload"]["engagement_id"] == engagement_id
    assert (opened["payload"]["expert_id"], opened["payload"]["orderer_id"]) == ("maija", "school-1")

    with pytest.raises(RemoteError) as again:
        await stack.cmd("accept_offer", actor=EXPERT, order_id=order_id, offer_id=offer["offer_id"])
    assert again.value.code == "conflict" and "already accepted" in again.value.message

    mine = await stack.query("list_engagements", actor=EXPERT)
    assert [(e["engagement_id"], e["status"]) for e in mine] == [(engagement_id, "opened")]
    assert await stack.query("list_engagements", actor={"id": "school-2", "role": "orderer"}) == []


async def test_the_county_rule_follows_the_registry_s_organization_agreements(stack):
    await listed_ngo_expert_and_orderer(stack)
    # A ward of the county orders: its tasks are in the county's services (the registry's record says so).
    await stack.registry("register_organization", actor=COORDINATOR, organization_id="varha", name="Varha",
                         kind="county")
    await stack.registry("grant_credentials", actor=COORDINATOR, orderer_id="ward-1", orderer_name="Ward",
                         organization_id="varha")
    await stack.orders_table_has("orderer_credentials WHERE orderer_id = 'ward-1'")
    await stack.orders_table_has("organizations WHERE organization_id = 'varha'")
    order_id = await place_order(stack, actor=WARD)
    with pytest.raises(RemoteError) as refused:
        await stack.cmd("make_offer", actor=WARD, order_id=order_id, expert_id="maija")
    assert refused.value.fields[0]["field"] == "expert_id"
    assert "organization agreement" in refused.value.fields[0]["reason"]

    await stack.agree("mieli", "2026", TODAY, TASK_DAY)
    await stack.orders_table_has("organization_agreements WHERE organization_id = 'mieli'")
    offer = await stack.cmd("make_offer", actor=WARD, order_id=order_id, expert_id="maija")

    # The expiry job over the real read tables, run as if a week had passed.
    pool = stack.orders.pool
    views = OrdersTables(pool, "orders")
    deps = orders.compose(PostgresUnitOfWork(stack.orders.store, pool, views.project), views,
                          clock=Clock(lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=8)))
    assert await expire_offers(deps) == 1
    assert await expire_offers(deps) == 0
    with pytest.raises(RemoteError) as late:
        await stack.cmd("accept_offer", actor=EXPERT, order_id=order_id, offer_id=offer["offer_id"])
    assert late.value.code == "conflict" and "expired" in late.value.message


async def engaged(stack: Stack, offered_by=COORDINATOR) -> str:
    """Maija, listed, offered an order's task and accepting it: the engagement's id."""
    await listed_ngo_expert_and_orderer(stack)
    order_id = await place_order(stack)
    offer = await stack.cmd("make_offer", actor=offered_by, order_id=order_id, expert_id="maija")
    return (await stack.cmd("accept_offer", actor=EXPERT, order_id=order_id,
                            offer_id=offer["offer_id"]))["engagement_id"]


async def test_contracts_and_feedback_events_carry_the_engagement_to_closed(stack):
    engagement_id = await engaged(stack)
    engagement = uuid.UUID(engagement_id)
    contract = uuid.uuid4()

    async def status():
        return (await stack.query("get_engagement", actor=ORDERER, engagement_id=engagement_id))["status"]

    deliver = {"actor": ORDERER, "engagement_id": engagement_id, "actual_hours": "2", "kilometres": "24"}
    with pytest.raises(RemoteError, match="not signed by both"):
        await stack.cmd("confirm_delivery", **deliver)

    assert await stack.feed("contracts", ContractFullySigned(contract_id=contract, engagement_id=engagement))
    assert await status() == "confirmed"
    assert (await stack.cmd("confirm_delivery", **deliver))["status"] == "delivered"

    assert await stack.feed("feedback", FeedbackCompleted(engagement_id=engagement))
    assert await status() == "feedback_complete"
    with pytest.raises(RemoteError, match="the fee is not approved"):
        await stack.cmd("close_engagement", actor=COORDINATOR, engagement_id=engagement_id)

    assert await stack.feed("contracts", FeeApproved(contract_id=contract, engagement_id=engagement, fee=60,
                                                     mileage=6, other_expenses=0, total=66))
    assert await status() == "closed"
    closed = await stack.query("list_engagements", actor=COORDINATOR, status="closed")
    assert [e["engagement_id"] for e in closed] == [engagement_id]
    assert (await stack.published("EngagementClosed"))["engagement_id"] == engagement_id


async def test_a_cancelled_engagement_closes_once_what_it_owes_is_paid(stack):
    engagement_id = await engaged(stack, offered_by=ORDERER)
    engagement, contract = uuid.UUID(engagement_id), uuid.uuid4()
    assert await stack.feed("contracts", ContractFullySigned(contract_id=contract, engagement_id=engagement))
    await stack.cmd("cancel_engagement", actor=ORDERER, engagement_id=engagement_id, reason="the class was merged")

    async def seen():
        return await stack.query("get_engagement", actor=ORDERER, engagement_id=engagement_id)

    assert await stack.feed("contracts", ContractCancelled(contract_id=contract, engagement_id=engagement,
                                                           fee_owed=Decimal("40.00"), cancelled_by="orderer"))
    assert ((await seen())["status"], (await seen())["fee_owed"]) == ("cancelled", "40.00")
    assert await stack.feed("contracts", FeePaid(contract_id=contract, engagement_id=engagement,
                                                 total=Decimal("40.00"), paid_on=TODAY))
    assert ((await seen())["status"], (await seen())["owed_fee_paid"]) == ("closed", True)
    assert (await stack.published("EngagementClosed"))["engagement_id"] == engagement_id

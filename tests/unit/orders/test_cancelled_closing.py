"""A cancelled engagement closes once what it owes is settled: at once when its contract's cancellation terms leave
nothing owed, on the payment of the fee when they leave some owed."""

import uuid
from decimal import Decimal

import pytest

from services.orders import handlers as h, messages as m
from tests.unit.calls import call, consume
from tests.unit.orders.fakes import (
    EXPERT,
    ORDERER,
    World,
    contract_cancelled,
    delivered,
    fee_approved,
    fee_paid,
    signed,
)


@pytest.fixture
def world():
    return World()


async def cancelled(world, by=ORDERER, after_signing=False):
    _, engagement_id = await world.engagement()
    if after_signing:
        await signed(world, engagement_id)
    await call(h.cancel_engagement, m.CancelEngagement(engagement_id=engagement_id, reason="ill"), by, world.deps)
    return engagement_id


async def view(world, engagement_id):
    return await call(h.get_engagement, m.GetEngagement(engagement_id=engagement_id), ORDERER, world.deps)


async def test_with_nothing_owed_the_cancelled_engagement_closes_at_once(world):
    engagement_id = await cancelled(world, by=EXPERT)
    await contract_cancelled(world, engagement_id, Decimal(0), uuid.uuid4())
    seen = await view(world, engagement_id)
    assert (seen["status"], seen["cancelled"], seen["fee_owed"]) == ("closed", True, "0")
    closed = await call(h.list_engagements, m.ListEngagements(status="closed"), ORDERER, world.deps)
    assert [e["engagement_id"] for e in closed] == [str(engagement_id)]


async def test_with_a_fee_owed_it_closes_when_the_fee_is_paid_once(world):
    engagement_id = await cancelled(world, after_signing=True)
    contract = uuid.uuid4()
    await contract_cancelled(world, engagement_id, Decimal(30), contract)
    assert (await view(world, engagement_id))["status"] == "cancelled"
    payment = await fee_paid(world, engagement_id, contract)
    await consume(h.note_fee_paid, payment, world.deps)  # delivered again: nothing new
    seen = await view(world, engagement_id)
    assert (seen["status"], seen["fee_owed"], seen["owed_fee_paid"]) == ("closed", "30", True)
    assert len(await world.events("EngagementClosed")) == 1


async def test_the_same_cancellation_delivered_twice_is_noted_once(world):
    engagement_id = await cancelled(world)
    contract = uuid.uuid4()
    await contract_cancelled(world, engagement_id, Decimal(30), contract)
    await contract_cancelled(world, engagement_id, Decimal(30), contract)
    assert len(await world.events("CancellationTermsNoted")) == 1


async def test_a_payment_of_a_delivered_engagement_closes_nothing_by_itself(world):
    _, engagement_id = await world.engagement()
    await delivered(world, engagement_id)
    await fee_approved(world, engagement_id)
    await fee_paid(world, engagement_id, uuid.uuid4())
    assert (await view(world, engagement_id))["status"] == "fee_approved"
    assert await world.events("OwedFeePaidNoted") == []

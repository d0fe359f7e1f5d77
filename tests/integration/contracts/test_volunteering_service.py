"""Volunteering through NATS: the expert declines the fee, the contract records its tax character, the fee
approved on delivery is nothing, and the approver is warned before a line passes the yearly cap (the unit tests,
tests/unit/contracts/test_volunteering.py, count the caps to the end)."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from services.orders import events as orders
from shared.messaging.rpc import RemoteError
from tests.callers import request
from tests.conftest import eventually
from tests.integration.contracts.test_contracts_service import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    drafted,
    get_contract,
    opened,
    services,
    sign,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "contracts")]
__all__ = ["services"]


async def test_a_declined_fee_is_volunteering_and_a_car_journey_over_the_cap_is_warned_about(services):
    nc, orders_side, _ = services
    engagements = [uuid.uuid4() for _ in range(3)]
    for engagement_id in engagements:
        await orders_side.record(engagement_id, opened(engagement_id, orders.FeeTerms(
            mode=orders.FeeMode.recommended), "2"))
        await eventually(lambda engagement_id=engagement_id: drafted(nc, engagement_id))
        with pytest.raises(RemoteError) as other:
            await request(nc, "kokemus.contracts.cmd.decline_fee",
                          {"actor": {"id": "pekka", "role": "expert"}, "engagement_id": str(engagement_id)})
        assert other.value.code == "forbidden"
        declined = await request(nc, "kokemus.contracts.cmd.decline_fee",
                                 {"actor": EXPERT, "engagement_id": str(engagement_id)})
        assert (declined["terms"]["volunteering"], declined["terms"]["tax_character"]) == (True, "volunteering")
        await sign(nc, engagement_id, EXPERT, "expert")
        await sign(nc, engagement_id, ORDERER, "orderer")
        await orders_side.record(engagement_id, orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=D("2"), kilometres=D("0")))

        async def approved(engagement_id=engagement_id):  # type: ignore[no-untyped-def]
            return (await get_contract(nc, engagement_id, EXPERT))["fee"]
        assert (await eventually(approved))["fee"] == "0.00"
        await request(nc, "kokemus.contracts.cmd.claim_expenses", {
            "actor": EXPERT, "engagement_id": str(engagement_id),
            "lines": [{"kind": "car", "kilometres": "2000", "route": "Home – away – home"}]})
    for engagement_id in engagements[:2]:
        await request(nc, "kokemus.contracts.cmd.approve_expense_line",
                      {"actor": ORDERER, "engagement_id": str(engagement_id), "line_no": 1})
    # 2 × 1,100 € approved; the third 1,100 € passes the 3,000 € cap by 300 €: the approver sees it first.
    seen = await get_contract(nc, engagements[2], ORDERER)
    assert seen["volunteer_cap_warnings"] == {"1": "300.00"}
    batch = await request(nc, "kokemus.contracts.query.payment_batch", {"actor": COORDINATOR})
    characters = {part["character"] for p in batch["payments"] for part in p["parts"]}
    assert characters == {"volunteer_allowance"}  # nothing over the cap is approved yet, and no fee

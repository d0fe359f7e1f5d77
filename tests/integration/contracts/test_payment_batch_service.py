"""The payment batch against real NATS and PostgreSQL: the payroll system lists what is approved and unpaid,
reads the CSV back, and records the batch paid; two deliveries of the same command (a retry racing the first)
pay each contract once."""

import asyncio
import csv
import datetime as dt
import io
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
    services,  # noqa: F401 (the fixture)
    sign,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "contracts")]
PAYROLL = {"id": "payroll", "role": "integration"}


async def signed(nc, orders_side, fee, hours):
    engagement_id = uuid.uuid4()
    await orders_side.record(engagement_id, opened(engagement_id, fee, hours))
    await eventually(lambda: drafted(nc, engagement_id))
    await sign(nc, engagement_id, EXPERT, "expert")
    await sign(nc, engagement_id, ORDERER, "orderer")
    return engagement_id


async def test_payroll_lists_exports_and_records_the_batch_once(services):  # noqa: F811
    nc, orders_side, runtime = services
    delivered = await signed(nc, orders_side, orders.FeeTerms(mode=orders.FeeMode.orderer, fixed_fee=D("240.00")), "3")
    cancelled = await signed(nc, orders_side, orders.FeeTerms(mode=orders.FeeMode.recommended), "3")
    await orders_side.record(delivered, orders.DeliveryConfirmed(
        engagement_id=delivered, actual_hours=D("3"), kilometres=D("40"), other_expenses=D("0")))
    await orders_side.record(cancelled, orders.EngagementCancelled(
        engagement_id=cancelled, cancelled_by="orderer", reason="x", after_signing=True))

    async def both_due():
        return all([(await get_contract(nc, delivered))["fee"], (await get_contract(nc, cancelled))["cancellation"]])

    await eventually(both_due)
    today = dt.date.today()
    batch = await request(nc, "kokemus.contracts.query.payment_batch", {"actor": PAYROLL})
    assert (batch["paid_on"], batch["report_by"]) == (str(today), str(today + dt.timedelta(days=5)))
    rows = list(csv.DictReader(io.StringIO(batch["csv"])))
    # By hand: the fixed fee 240 €; 40 km × 0.55 € (2026's rate, the task being today) = 22 €, or the rate of
    # the year the test runs in; half of 3 h × 30 € (the default table) = 45 €.
    car_rate = (await get_contract(nc, delivered))["terms"]["mileage_per_km"]
    assert sorted((row["engagement_id"], row["item"], row["amount"], row["taxable"]) for row in rows) == sorted([
        (str(delivered), "fee", "240.00", "yes"),
        (str(delivered), "delivery_mileage", f"{D('40') * D(car_rate):.2f}", "no"),
        (str(cancelled), "cancellation_fee", "45.00", "yes")])

    record = {"actor": PAYROLL, "batch_id": batch["batch_id"], "paid_on": str(today)}
    outcomes = await asyncio.gather(*(request(nc, "kokemus.contracts.cmd.record_payment_batch", record)
                                      for _ in range(2)), return_exceptions=True)
    answered = [o for o in outcomes if not isinstance(o, BaseException)]
    assert answered and all(o["batch_id"] == batch["batch_id"] for o in answered)
    assert all(isinstance(o, RemoteError) and o.code == "conflict" for o in outcomes if o not in answered)
    again = await request(nc, "kokemus.contracts.cmd.record_payment_batch", {**record, "actor": COORDINATOR})
    assert again == answered[0]
    counts = dict(await runtime.store.pool.fetch(
        "SELECT event_type, count(*) FROM contracts.events WHERE event_type IN ('FeePaid', 'PaymentBatchRecorded')"
        " GROUP BY event_type"))
    assert counts == {"FeePaid": 2, "PaymentBatchRecorded": 1}
    listed = {row["engagement_id"]: row["status"]
              for row in await request(nc, "kokemus.contracts.query.list_contracts", {"actor": COORDINATOR})}
    assert listed == {str(delivered): "paid", str(cancelled): "paid"}
    assert (await request(nc, "kokemus.contracts.query.payment_batch", {"actor": PAYROLL}))["payments"] == []

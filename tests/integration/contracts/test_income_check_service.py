"""The expert's monthly income limit through NATS: set in her own name (sealed), read back, and an offer's fee
checked against it before she accepts (the web's offers page asks the same)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from services.orders import events as orders
from shared.messaging.rpc import RemoteError
from tests.callers import request
from tests.conftest import eventually
from tests.integration.contracts.test_contracts_service import EXPERT, drafted, opened, services

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "contracts")]
__all__ = ["services"]


async def test_an_offer_past_the_monthly_limit_is_warned_of_and_the_limit_travels_sealed(services):
    nc, orders_side, _ = services
    today = dt.date.today()
    engagement_id = uuid.uuid4()  # 2 h at the recommended 30 €/h, planned for today
    await orders_side.record(engagement_id, opened(engagement_id, orders.FeeTerms(mode=orders.FeeMode.recommended),
                                                   "2"))
    await eventually(lambda: drafted(nc, engagement_id))
    await request(nc, "kokemus.contracts.cmd.set_income_limit",
                  {"actor": EXPERT, "expert_id": "maija", "monthly_limit": "500"})
    summary = await request(nc, "kokemus.contracts.query.income_summary", {"actor": EXPERT, "expert_id": "maija"})
    assert (summary["monthly_limit"], summary["annual_limit"]) == ("500", None)
    offer = {"actor": EXPERT, "expert_id": "maija", "on": str(today), "duration_hours": "3"}
    fits = await request(nc, "kokemus.contracts.query.income_check", {**offer, "fixed_fee": "440"})
    assert (fits["fees_in_month"], fits["would_pass_monthly"]) == ("60.00", False)  # 60 + 440 = 500
    past = await request(nc, "kokemus.contracts.query.income_check", {**offer, "hourly_fee": "150"})
    assert (past["fee"], past["would_pass_monthly"], past["would_pass_annual"]) == ("450.00", True, False)
    with pytest.raises(RemoteError) as other:
        await request(nc, "kokemus.contracts.query.income_check",
                      {**offer, "actor": {"id": "pekka", "role": "expert"}})
    assert other.value.code == "forbidden"
    with pytest.raises(RemoteError) as negative:
        await request(nc, "kokemus.contracts.query.income_check", {**offer, "fixed_fee": "-1"})
    assert negative.value.code == "validation" and [f["field"] for f in negative.value.fields] == ["fixed_fee"]
    published = json.loads((await nc.jetstream().get_last_msg(
        "KOKEMUS_CONTRACTS", "kokemus.contracts.events.IncomeLimitSet")).data)
    assert "$encrypted" in json.dumps(published["payload"]["monthly_limit"]) and "500" not in json.dumps(published)

"""A legal hold honoured and shown, on a real NATS and PostgreSQL: an expert who was paid is erased in the
registry; the contracts service shreds their key but keeps the payments as the accounting law requires, records
PaymentRecordsKept with the rule and the date, and legal_holds names what is kept, under which rule, until when."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from services.contracts.handlers.legal_hold import RULE
from services.orders import events as orders
from services.registry import events as registry
from tests.callers import request
from tests.conftest import eventually, upstream
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

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "contracts", "registry")]


async def test_an_erased_experts_payments_are_kept_under_the_accounting_law_and_shown(services, environment):  # noqa: F811
    nc, orders_side, runtime = services
    engagement_id = uuid.uuid4()
    await orders_side.record(engagement_id, opened(
        engagement_id, orders.FeeTerms(mode=orders.FeeMode.orderer, fixed_fee=D("240.00")), "3"))
    await eventually(lambda: drafted(nc, engagement_id))
    await sign(nc, engagement_id, EXPERT, "expert")
    await sign(nc, engagement_id, ORDERER, "orderer")
    await orders_side.record(engagement_id, orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=D("3"), kilometres=D("0"), other_expenses=D("0")))

    async def fee_approved():
        return (await get_contract(nc, engagement_id))["fee"]
    await eventually(fee_approved)

    holds = {"actor": EXPERT, "expert_id": "maija"}
    assert (await request(nc, "kokemus.contracts.query.legal_holds", holds))["kept"] == []  # nothing paid yet
    await request(nc, "kokemus.contracts.cmd.record_payment",
                  {"actor": COORDINATOR, "engagement_id": str(engagement_id)})
    until = str(dt.date(dt.date.today().year + 6, 12, 31))
    before = await request(nc, "kokemus.contracts.query.legal_holds", holds)
    assert [(k["payments"], k["rule"], k["until"]) for k in before["kept"]] == [(1, RULE, until)]
    assert before["kept_after_erasure"] is False

    async with upstream(environment, "registry") as registry_side:
        await registry_side.append("expert-maija", registry.ExpertErased(
            expert_id="maija", ground="consent_withdrawn"))

        async def kept():
            shown = await request(nc, "kokemus.contracts.query.legal_holds",
                                  {"actor": COORDINATOR, "expert_id": "maija"})
            return shown if shown["kept_after_erasure"] else None
        after = await eventually(kept, timeout=30)
    assert [(k["payments"], k["rule"], k["until"]) for k in after["kept"]] == [(1, RULE, until)]
    assert (await get_contract(nc, engagement_id))["status"] == "paid"  # the payment record stands
    [recorded] = [e for e in await runtime.store.read_stream("legal-hold-maija")]
    assert (recorded.event_type, str(recorded.payload.kept_until), recorded.payload.rule) == (
        "PaymentRecordsKept", until, RULE)

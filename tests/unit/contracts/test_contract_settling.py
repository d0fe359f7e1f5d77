"""The contracts service through its handlers, on the in-memory store: delivery, cancellation and payment, who
sees a contract, and the rate tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from services.contracts import handlers as h, messages as m
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import Actor, NewEvent, Role
from tests.unit.calls import call, consume
from tests.unit.contracts.scenario import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    ORDERS_SYSTEM,
    contract,
    deliver,
    open_engagement,
    sign_both,
)

# -- delivery, cancellation, payment -----------------------------------------------------------------

async def test_a_confirmed_delivery_approves_the_fee_and_expenses(deps, orders_store):
    fee = orders.FeeTerms(mode=orders.FeeMode.orderer, hourly_fee=D("42.50"))
    engagement_id = await open_engagement(deps, orders_store, fee=fee)
    await sign_both(deps, engagement_id)
    await deliver(
        deps,
        orders_store,
        orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=D("2.5"), kilometres=D("38"), other_expenses=D("6.40")
        ),
        engagement_id,
    )
    view = await contract(deps, engagement_id, actor=EXPERT)
    assert view["status"] == "fee_approved"
    assert view["fee"] == {"fee": "106.25", "mileage": "20.90", "other_expenses": "6.40", "total": "133.55"}


async def test_cancelling_after_signing_owes_half_the_expected_fee(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store, hours="3")
    await sign_both(deps, engagement_id)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="ill", after_signing=True), engagement_id)
    view = await contract(deps, engagement_id)
    assert (view["status"], view["cancellation"]) == ("cancelled", {"fee_owed": "45.00", "cancelled_by": "orderer"})


async def test_cancelling_before_signing_owes_nothing(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store, hours="3")
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="expert", reason="ill", after_signing=False), engagement_id)
    assert (await contract(deps, engagement_id))["cancellation"] == {"fee_owed": "0.00", "cancelled_by": "expert"}


async def test_a_cancellation_made_before_the_last_signature_arrived_here_owes_nothing(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store, hours="3")
    [cancellation] = await orders_store.append(
        f"engagement-{engagement_id}",
        1,
        [
            NewEvent(
                payload=orders.EngagementCancelled(
                    engagement_id=engagement_id, cancelled_by="orderer", reason="x", after_signing=False
                ),
                actor=ORDERS_SYSTEM,
                engagement_id=engagement_id,
                subject_id=ORDERER.id,
            )
        ],
    )
    await sign_both(deps, engagement_id)  # the signatures land here after the orders service cancelled
    await consume(h.cancel_contract, cancellation, deps)
    assert (await contract(deps, engagement_id))["cancellation"]["fee_owed"] == "0.00"


async def test_a_contract_signed_by_both_before_the_cancellation_owes_even_if_orders_had_not_heard(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store, hours="3")
    await sign_both(deps, engagement_id)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="x", after_signing=False), engagement_id)
    assert (await contract(deps, engagement_id))["cancellation"]["fee_owed"] == "45.00"


async def test_a_delivery_for_a_contract_not_yet_drafted_is_retried(deps, orders_store):
    engagement_id = uuid.uuid4()
    with pytest.raises(NotFound):  # the consumer asks for redelivery with backoff
        await deliver(deps, orders_store, orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=D("1"), kilometres=D("0")), engagement_id)


async def test_the_coordinator_records_the_payment_of_the_approved_fee(deps, orders_store, clock):
    engagement_id = await open_engagement(deps, orders_store)
    with pytest.raises(Conflict):
        await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    await sign_both(deps, engagement_id)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=D("1"), kilometres=D("0")), engagement_id)
    with pytest.raises(Forbidden):
        await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), EXPERT, deps)
    with pytest.raises(Invalid):
        await call(
            h.record_payment,
            m.RecordPayment(engagement_id=engagement_id, paid_on=clock.today + dt.timedelta(days=1)),
            COORDINATOR,
            deps,
        )
    view = await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    assert (view["status"], view["payment"]) == ("paid", {"total": "50.00", "paid_on": clock.today.isoformat()})


# -- who sees what, and the rate tables ---------------------------------------------------------------

async def test_only_the_parties_and_coordinators_see_a_contract(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    for actor in (EXPERT, ORDERER, COORDINATOR):
        assert (await contract(deps, engagement_id, actor))["expert_id"] == "maija"
    for actor in (Actor(id="pekka", role=Role.expert), Actor(id="school-2", role=Role.orderer),
                  Actor(id="aud", role=Role.auditor)):
        with pytest.raises(Forbidden):
            await contract(deps, engagement_id, actor)


async def test_only_a_coordinator_publishes_a_rate_table(deps):
    with pytest.raises(Forbidden):
        await call(
            h.publish_rate_table,
            m.PublishRateTable(
                rate_table_id="mine",
                effective_from=dt.date(2027, 1, 1),
                hourly_fee=D("500"),
                minimum_fee=D("0"),
                mileage_per_km=D("1"),
            ),
            EXPERT,
            deps,
        )


async def test_anyone_reads_the_rate_tables_and_the_one_in_force(deps, clock):
    assert await h.seed_default_rate_table(deps) is True
    await call(
        h.publish_rate_table,
        m.PublishRateTable(
            rate_table_id="2027",
            effective_from=dt.date(2027, 1, 1),
            hourly_fee=D("33.00"),
            minimum_fee=D("55.00"),
            mileage_per_km=D("0.60"),
        ),
        COORDINATOR,
        deps,
    )
    tables = await call(h.rate_tables, m.ListRateTables(), EXPERT, deps)
    assert [t["rate_table_id"] for t in tables] == ["default-2024", "2027"]
    assert (await call(h.rate_in_force, m.RateInForce(), ORDERER, deps))["rate_table_id"] == "default-2024"
    assert (await call(h.rate_in_force, m.RateInForce(on=dt.date(2027, 2, 1)), ORDERER, deps))["hourly_fee"] == "33.00"
    with pytest.raises(NotFound):
        await call(h.rate_in_force, m.RateInForce(on=dt.date(2023, 12, 31)), ORDERER, deps)

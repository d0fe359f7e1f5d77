"""The contracts service through its handlers, on the in-memory store: drafting at the rates in force, and signing.
The orders service's events come in as recorded events of an in-memory orders store, as the consumer would hand
them over."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from services.contracts import handlers as h, messages as m
from services.contracts.payments import RULES, Character
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, NotFound
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.contracts.scenario import (
    COORDINATOR,
    EXPERT,
    contract,
    deliver,
    open_engagement,
    opened,
    recorded,
    sign_both,
)

# -- drafting and the rates in force ------------------------------------------------------------------

async def test_an_opened_engagement_gets_a_contract_at_the_recommended_rates(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    view = await contract(deps, engagement_id)
    assert view["status"] == "drafted"
    assert view["terms"] == {
        "fee_basis": "recommended", "rate_table_id": "default-2024", "hourly_fee": "30.00", "fixed_fee": None,
        "minimum_fee": "50.00", "mileage_per_km": "0.55", "expenses_reimbursed": True,
        "cancellation_fee_share": "0.5", "duration_hours": "2", "task_date": "2026-04-01", "task_type": "lecture",
        "topic": "recovery", "remote": False, "expense_rates_id": "tax-free-2026", "per_diem_partial": "25.00",
        "per_diem_full": "54.00", "meal_allowance": "13.50", "start_time": None, "place": None,
        "volunteering": False, "tax_character": "fee_income", "tax_rule": RULES[Character.fee_income],
    }


async def test_the_engagement_keeps_the_rates_in_force_the_day_its_contract_was_drafted(deps, orders_store, clock):
    await call(
        h.publish_rate_table,
        m.PublishRateTable(
            rate_table_id="2026-spring",
            effective_from=dt.date(2026, 3, 1),
            hourly_fee=D("35.00"),
            minimum_fee=D("60.00"),
            mileage_per_km=D("0.57"),
        ),
        COORDINATOR,
        deps,
    )
    await call(
        h.publish_rate_table,
        m.PublishRateTable(
            rate_table_id="2026-autumn",
            effective_from=dt.date(2026, 8, 1),
            hourly_fee=D("40.00"),
            minimum_fee=D("70.00"),
            mileage_per_km=D("0.61"),
        ),
        COORDINATOR,
        deps,
    )
    early = await open_engagement(deps, orders_store)
    clock.today = dt.date(2026, 8, 3)
    late = await open_engagement(deps, orders_store)
    await deliver(
        deps,
        orders_store,
        orders.DeliveryConfirmed(engagement_id=early, actual_hours=D("2"), kilometres=D("10")),
        early,
    )

    early_view, late_view = await contract(deps, early), await contract(deps, late)
    assert (early_view["terms"]["rate_table_id"], early_view["terms"]["hourly_fee"]) == ("2026-spring", "35.00")
    # The fee from the table in force when drafted; mileage from the expense rates on the task's date (2026).
    assert early_view["fee"] == {"fee": "70.00", "mileage": "5.50", "other_expenses": "0.00", "total": "75.50"}
    assert (late_view["terms"]["rate_table_id"], late_view["terms"]["hourly_fee"]) == ("2026-autumn", "40.00")


async def test_the_orderers_fee_is_the_contracts_fee_and_expenses_cannot_be_switched_off(deps, orders_store):
    fee = orders.FeeTerms(mode=orders.FeeMode.orderer, fixed_fee=D("180.00"), expenses_reimbursed=False)
    engagement_id = await open_engagement(deps, orders_store, fee=fee)
    terms = (await contract(deps, engagement_id))["terms"]
    assert (terms["fee_basis"], terms["fixed_fee"], terms["hourly_fee"], terms["expenses_reimbursed"]) == (
        "orderer",
        "180.00",
        None,
        True,
    )


async def test_drafting_seeds_the_default_table_if_the_start_up_seed_has_not_run(deps, orders_store):
    await open_engagement(deps, orders_store)
    assert len(recorded(deps, "RateTablePublished")) == 1
    assert await h.seed_default_rate_table(deps) is False
    assert len(recorded(deps, "RateTablePublished")) == 1


async def test_the_contracts_events_name_the_engagement_and_follow_from_the_orders_event(deps, orders_store):
    engagement_id = uuid.uuid4()
    event = await deliver(deps, orders_store, opened(engagement_id), engagement_id)
    [drafted] = recorded(deps, "ContractDrafted")
    assert drafted["engagement_id"] == str(engagement_id)
    assert drafted["causation_id"] == str(event.event_id)
    assert drafted["stream_id"] == f"contract-{engagement_id}"


async def test_the_same_engagement_announced_twice_keeps_one_contract(deps, orders_store):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, opened(engagement_id), engagement_id)
    await deliver(deps, orders_store, opened(engagement_id, hours="5"), engagement_id)
    assert len(recorded(deps, "ContractDrafted")) == 1
    assert (await contract(deps, engagement_id))["terms"]["duration_hours"] == "2"


# -- signing -------------------------------------------------------------------------------------------

async def test_both_signatures_make_the_contract_fully_signed(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    view = await sign_both(deps, engagement_id)
    assert view["fully_signed"] is True and view["signed_by"] == {"expert": "maija", "orderer": "school-1"}
    [fully] = recorded(deps, "ContractFullySigned")
    assert fully["engagement_id"] == str(engagement_id)


async def test_signing_twice_is_a_conflict(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert"), EXPERT, deps)
    with pytest.raises(Conflict):
        await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert"), EXPERT, deps)


async def test_another_person_cannot_sign(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    with pytest.raises(Forbidden):
        await call(
            h.sign_contract,
            m.SignContract(engagement_id=engagement_id, party="expert"),
            Actor(id="pekka", role=Role.expert),
            deps,
        )
    with pytest.raises(Forbidden):
        await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="orderer"), COORDINATOR, deps)
    assert recorded(deps, "ContractSigned") == []


async def test_signing_before_the_contract_is_drafted_says_to_try_again(deps):
    with pytest.raises(NotFound) as error:
        await call(h.sign_contract, m.SignContract(engagement_id=uuid.uuid4(), party="expert"), EXPERT, deps)
    assert "being drafted" in error.value.message and "try again" in error.value.message


async def test_a_cancelled_contract_cannot_be_signed(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    await deliver(
        deps,
        orders_store,
        orders.EngagementCancelled(
            engagement_id=engagement_id, cancelled_by="orderer", reason="course cancelled", after_signing=False
        ),
        engagement_id,
    )
    with pytest.raises(Conflict):
        await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert"), EXPERT, deps)

"""The contracts service through its handlers, on the in-memory store: the orders service's events come in
as recorded events of an in-memory orders store, as the consumer would hand them over."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from services.contracts import handlers as h, messages as m
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import Actor, NewEvent, Role
from tests.unit.calls import call, consume

COORDINATOR = Actor(id="coord", role=Role.coordinator)
EXPERT = Actor(id="maija", role=Role.expert)
ORDERER = Actor(id="school-1", role=Role.orderer)
ORDERS_SYSTEM = Actor(id="orders", role=Role.system)


async def deliver(deps, orders_store, payload, engagement_id):
    """Record ``payload`` in the orders store and hand it to the matching handler, as the consumer does."""
    [event] = await orders_store.append(
        f"engagement-{engagement_id}", len(await orders_store.read_stream(f"engagement-{engagement_id}")),
        [NewEvent(payload=payload, actor=ORDERS_SYSTEM, engagement_id=engagement_id, subject_id=ORDERER.id)],
    )
    handler = {cls.event_type(): handler for cls, handler in h.CONSUMES["orders"].items()}[event.event_type]
    await consume(handler, event, deps)
    return event


RECOMMENDED = orders.FeeTerms(mode=orders.FeeMode.recommended)


def opened(engagement_id, fee=RECOMMENDED, hours="2"):
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery", date=dt.date(2026, 4, 1),
        duration_hours=D(hours), remote=False, fee=fee,
    )


async def open_engagement(deps, orders_store, **kwargs):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, opened(engagement_id, **kwargs), engagement_id)
    return engagement_id


async def contract(deps, engagement_id, actor=COORDINATOR):
    return await call(h.get_contract, m.GetContract(engagement_id=engagement_id), actor, deps)


async def sign_both(deps, engagement_id):
    await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert"), EXPERT, deps)
    return await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="orderer"), ORDERER, deps)


def recorded(deps, event_type):
    """The events of a type as recorded, in their published JSON form."""
    return [e.model_dump(mode="json") for e in deps.uow.store.published if e.event_type == event_type]


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
        "per_diem_full": "54.00", "meal_allowance": "13.50",
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

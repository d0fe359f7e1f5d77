"""Expenses, so that the expert never pays to work: the rates in force on the task's date, a claim with every
kind of line, each line approved or returned, payment of what was approved, bad input named by its field; and
the cancellation terms, case by case. Through the handlers, on the in-memory store."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from services.contracts import handlers as h, messages as m
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import Actor, Role
from shared.messaging.rpc import validation_reply
from tests.unit.calls import call
from tests.unit.contracts.scenario import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    RECOMMENDED,
    contract,
    deliver,
    recorded,
    sign_both,
)

OTHER_ORDERER = Actor(id="school-2", role=Role.orderer)
TASK_DAY = dt.date(2026, 4, 1)


async def signed_engagement(deps, orders_store, clock, task_day=TASK_DAY):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery", date=task_day,
        duration_hours=D("2"), remote=False, fee=RECOMMENDED), engagement_id)
    await sign_both(deps, engagement_id)
    clock.today = task_day  # the claim is filed on the task's day or after
    return engagement_id


def claim(engagement_id, *lines):
    return m.ClaimExpenses(engagement_id=engagement_id, lines=list(lines))


CAR = {"kind": "car", "kilometres": "100", "route": "Salo – Turku – Salo"}
TICKET = {"kind": "public_transport", "amount": "7.40", "description": "Bus 14, Turku"}
PARKING = {"kind": "parking", "amount": "4.50"}
PER_DIEM = {"kind": "per_diem", "hours_away": "11"}


# -- the rates in force on the task's date ---------------------------------------------------------------

@pytest.mark.parametrize(("task_day", "car", "rates_id"), [
    (dt.date(2025, 12, 31), "59.00", "tax-free-2025"),
    (dt.date(2026, 1, 1), "55.00", "tax-free-2026"),
    (dt.date(2024, 6, 30), "57.00", "tax-free-2024"),
])
async def test_a_car_journey_is_paid_at_the_rate_in_force_on_the_tasks_date(deps, orders_store, clock, task_day,
                                                                              car, rates_id):
    clock.today = dt.date(2024, 1, 2)  # the contract is drafted long before: the task's date decides
    engagement_id = await signed_engagement(deps, orders_store, clock, task_day)
    view = await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    assert view["terms"]["expense_rates_id"] == rates_id
    assert view["expenses"]["lines"][0]["amount"] == car


@pytest.mark.parametrize(("hours", "amount"), [("6.5", "25.00"), ("10", "25.00"), ("10.5", "54.00")])
async def test_the_per_diem_follows_the_hours_away(deps, orders_store, clock, hours, amount):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    view = await call(h.claim_expenses, claim(engagement_id, {"kind": "per_diem", "hours_away": hours}), EXPERT, deps)
    assert view["expenses"]["lines"][0]["amount"] == amount


async def test_the_coordinator_publishes_later_rates_and_everyone_reads_them(deps):
    new = m.PublishExpenseRates(rates_id="county-2026-07", effective_from=dt.date(2026, 7, 1), car_per_km=D("0.50"),
                                per_diem_partial=D("20"), per_diem_full=D("45"), meal_allowance=D("12"))
    with pytest.raises(Forbidden):
        await call(h.publish_expense_rates, new, ORDERER, deps)
    await call(h.publish_expense_rates, new, COORDINATOR, deps)
    rates = await call(h.expense_rates, m.ListExpenseRates(), EXPERT, deps)
    assert [(r["rates_id"], r["car_per_km"]) for r in rates] == [
        ("tax-free-2024", "0.57"), ("tax-free-2025", "0.59"), ("tax-free-2026", "0.55"), ("county-2026-07", "0.50")]
    assert rates[2] == {"rates_id": "tax-free-2026", "effective_from": "2026-01-01", "car_per_km": "0.55",
                        "per_diem_partial": "25.00", "per_diem_full": "54.00", "meal_allowance": "13.50"}
    with pytest.raises(Invalid) as error:  # what was in force on a past day never changes
        await call(h.publish_expense_rates, new.model_copy(update={"rates_id": "x", "effective_from":
                                                                    dt.date(2026, 2, 1)}), COORDINATOR, deps)
    assert error.value.fields[0].field == "effective_from"


# -- a claim, reviewed line by line ------------------------------------------------------------------------

async def test_a_claim_with_every_kind_of_line_is_approved_and_returned_line_by_line(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    view = await call(h.claim_expenses, claim(engagement_id, CAR, TICKET, PARKING, PER_DIEM), EXPERT, deps)
    lines = view["expenses"]["lines"]
    assert [(line["line_no"], line["kind"], line["amount"], line["status"]) for line in lines] == [
        (1, "car", "55.00", "pending"), (2, "public_transport", "7.40", "pending"),
        (3, "parking", "4.50", "pending"), (4, "per_diem", "54.00", "pending")]
    assert lines[0]["route"] is None and lines[1]["description"] == "Bus 14, Turku"  # the reply is kept: no route
    shown = await contract(deps, engagement_id, actor=EXPERT)
    assert shown["expenses"]["lines"][0]["route"] == "Salo – Turku – Salo"
    assert view["expenses"]["pending_total"] == "120.90"

    for line_no in (1, 2, 4):
        await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=line_no),
                   ORDERER, deps)
    view = await call(h.return_expense_line, m.ReturnExpenseLine(
        engagement_id=engagement_id, line_no=3, reason="The venue's parking is free for visitors"), COORDINATOR, deps)
    assert [line["status"] for line in view["expenses"]["lines"]] == ["approved", "approved", "returned", "approved"]
    assert view["expenses"]["lines"][2]["returned_because"] is None  # the reply is kept in clear: no reason
    shown = await contract(deps, engagement_id, actor=EXPERT)
    assert shown["expenses"]["lines"][2]["returned_because"] == "The venue's parking is free for visitors"
    [returned] = recorded(deps, "ExpenseLineReturned")
    assert "$encrypted" in returned["payload"]["reason"]  # sealed with the expert's key on the bus
    assert (view["expenses"]["approved_total"], view["expenses"]["returned_total"]) == ("116.40", "4.50")
    with pytest.raises(Conflict):  # a line is reviewed once
        await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=3), ORDERER, deps)

    # The expert claims the returned line again, corrected, as line 5.
    view = await call(h.claim_expenses, claim(engagement_id, {**PARKING, "amount": "2.00"}), EXPERT, deps)
    corrected = view["expenses"]["lines"][4]
    assert (corrected["line_no"], corrected["kind"], corrected["amount"], corrected["status"]) == (
        5, "parking", "2.00", "pending")
    [filed, _] = recorded(deps, "ExpenseClaimFiled")
    assert filed["payload"]["claim_no"] == 1 and filed["payload"]["total"] == "120.90"


async def test_the_approved_lines_are_paid_with_the_fee_and_later_ones_after(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    await call(h.claim_expenses, claim(engagement_id, CAR, TICKET), EXPERT, deps)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(engagement_id=engagement_id, actual_hours=D("2"),
                                                               kilometres=D("0")), engagement_id)
    await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=1), ORDERER, deps)
    view = await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    assert (view["status"], view["payment"]["total"]) == ("paid", "115.00")  # the 60 € fee and the 55 € car
    view = await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=2),
                      ORDERER, deps)
    assert view["status"] == "fee_approved"  # the ticket waits for the next payment
    view = await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    assert (view["status"], view["payment"]["total"]) == ("paid", "7.40")
    assert [line["paid"] for line in view["expenses"]["lines"]] == [True, True]
    with pytest.raises(Conflict):
        await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)


async def test_only_the_expert_claims_and_only_the_orderer_or_a_coordinator_reviews(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    for actor in (ORDERER, COORDINATOR, Actor(id="pekka", role=Role.expert)):
        with pytest.raises(Forbidden):
            await call(h.claim_expenses, claim(engagement_id, CAR), actor, deps)
    await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    for actor in (EXPERT, OTHER_ORDERER):
        with pytest.raises(Forbidden):
            await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=1),
                       actor, deps)
        with pytest.raises(Forbidden):
            await call(h.return_expense_line, m.ReturnExpenseLine(engagement_id=engagement_id, line_no=1,
                                                                  reason="x"), actor, deps)
    assert recorded(deps, "ExpenseLineApproved") == recorded(deps, "ExpenseLineReturned") == []


async def test_the_route_travels_sealed_as_personal_data(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    [filed] = [e for e in deps.uow.store.published if e.event_type == "ExpenseClaimFiled"]
    assert filed.subject_id == "maija"
    assert "Salo" not in filed.model_dump_json()


# -- bad input, named by its field -------------------------------------------------------------------------

def refused(body):
    """The transport's reply to a request its model refuses: the fields it names."""
    with pytest.raises(ValidationError) as error:
        m.ClaimExpenses.model_validate(body)
    reply = validation_reply(error.value)
    assert reply["error"]["code"] == "validation"
    return [problem["field"] for problem in reply["error"]["fields"]]


def test_negative_kilometres_and_an_unknown_kind_are_refused_naming_the_field():
    engagement_id = str(uuid.uuid4())
    assert refused({"engagement_id": engagement_id, "lines": [{**CAR, "kilometres": "-12"}]}) == [
        "lines.0.kilometres"]
    assert refused({"engagement_id": engagement_id, "lines": [TICKET, {"kind": "taxi", "amount": "30"}]}) == [
        "lines.1.kind"]
    assert refused({"engagement_id": engagement_id, "lines": []}) == ["lines"]


@pytest.mark.parametrize(("lines", "fields"), [
    ([{"kind": "car", "kilometres": "40"}], ["lines.0.route"]),
    ([{**CAR, "amount": "3"}], ["lines.0.amount"]),
    ([{"kind": "parking"}], ["lines.0.amount"]),
    ([TICKET, {"kind": "per_diem", "hours_away": "5"}], ["lines.1.hours_away"]),
    ([PER_DIEM, {"kind": "meal_allowance"}], ["lines.1.kind"]),
    ([CAR, CAR], ["lines.1.kind"]),
    ([{**TICKET, "amount": "0"}], ["lines.0.amount"]),
])
async def test_a_line_that_breaks_its_kinds_rules_is_named(deps, orders_store, clock, lines, fields):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    with pytest.raises(Invalid) as error:
        await call(h.claim_expenses, claim(engagement_id, *lines), EXPERT, deps)
    assert [problem.field for problem in error.value.fields] == fields
    assert recorded(deps, "ExpenseClaimFiled") == []


async def test_a_claim_before_the_task_is_refused(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    clock.today = TASK_DAY - dt.timedelta(days=1)
    with pytest.raises(Invalid) as error:
        await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    assert error.value.fields[0].field == "engagement_id" and "2026-04-01" in error.value.fields[0].reason


async def test_a_second_per_diem_for_the_task_is_refused_unless_the_first_was_returned(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    await call(h.claim_expenses, claim(engagement_id, PER_DIEM), EXPERT, deps)
    with pytest.raises(Invalid) as error:
        await call(h.claim_expenses, claim(engagement_id, {"kind": "meal_allowance"}), EXPERT, deps)
    assert error.value.fields[0].field == "lines.0.kind"
    await call(h.return_expense_line, m.ReturnExpenseLine(engagement_id=engagement_id, line_no=1,
                                                          reason="You were away 5 hours"), ORDERER, deps)
    view = await call(h.claim_expenses, claim(engagement_id, {"kind": "meal_allowance"}), EXPERT, deps)
    assert view["expenses"]["lines"][1]["amount"] == "13.50"


async def test_reviewing_a_line_that_does_not_exist_names_it(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    with pytest.raises(Invalid) as error:
        await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=3), ORDERER,
                   deps)
    assert error.value.fields[0].field == "line_no"


# -- cancellation terms ------------------------------------------------------------------------------------

async def cancelled(deps, orders_store, clock, by, signed):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery", date=TASK_DAY,
        duration_hours=D("3"), remote=False, fee=RECOMMENDED), engagement_id)
    if signed:
        await sign_both(deps, engagement_id)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by=by, reason="ill", after_signing=signed), engagement_id)
    return engagement_id, await contract(deps, engagement_id)


@pytest.mark.parametrize(("by", "signed", "owed"), [
    ("orderer", True, "45.00"),  # half of the expected 3 h × 30 €
    ("orderer", False, "0.00"),
    ("expert", True, "0.00"),  # the expert owes nothing and is owed nothing
    ("expert", False, "0.00"),
])
async def test_what_a_cancellation_owes_depends_on_who_cancels_and_when(deps, orders_store, clock, by, signed, owed):
    engagement_id, view = await cancelled(deps, orders_store, clock, by, signed)
    assert view["cancellation"] == {"fee_owed": owed, "cancelled_by": by}
    if owed == "0.00":  # nothing to pay, either way
        with pytest.raises(Conflict):
            await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    else:
        paid = await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
        assert paid["payment"]["total"] == owed


async def test_the_expert_cancelling_has_no_expenses_to_claim(deps, orders_store, clock):
    engagement_id, _ = await cancelled(deps, orders_store, clock, "expert", True)
    clock.today = TASK_DAY
    with pytest.raises(Conflict):
        await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)


async def test_the_orderer_cancelling_late_pays_the_costs_already_incurred(deps, orders_store, clock):
    engagement_id, _ = await cancelled(deps, orders_store, clock, "orderer", True)
    clock.today = TASK_DAY - dt.timedelta(days=3)  # before the task's day: the ticket was already bought
    view = await call(h.claim_expenses, claim(engagement_id, TICKET), EXPERT, deps)
    await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=1), ORDERER, deps)
    paid = await call(h.record_payment, m.RecordPayment(engagement_id=engagement_id), COORDINATOR, deps)
    assert view["expenses"]["lines"][0]["amount"] == "7.40"
    assert paid["payment"]["total"] == "52.40"  # the 45 € share of the fee and the ticket


async def test_the_car_journey_is_not_paid_twice(deps, orders_store, clock):
    # Claimed by the expert first: the kilometres the orderer then confirms with the delivery are not added.
    engagement_id = await signed_engagement(deps, orders_store, clock)
    await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(engagement_id=engagement_id, actual_hours=D("2"),
                                                               kilometres=D("100")), engagement_id)
    assert (await contract(deps, engagement_id))["fee"]["mileage"] == "0.00"
    with pytest.raises(Invalid) as again:  # nor claimed twice
        await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    assert again.value.fields[0].field == "lines.0.kind"

    # Reimbursed with the delivery first: the expert's claim of the journey is refused, other lines are not.
    other = await signed_engagement(deps, orders_store, clock)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(engagement_id=other, actual_hours=D("2"),
                                                               kilometres=D("100")), other)
    with pytest.raises(Invalid) as refused:
        await call(h.claim_expenses, claim(other, PARKING, CAR), EXPERT, deps)
    assert refused.value.fields[0].field == "lines.1.kind"
    await call(h.claim_expenses, claim(other, PARKING), EXPERT, deps)

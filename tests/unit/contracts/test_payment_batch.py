"""The payment batch: what is approved and unpaid, each part with its tax character and the Incomes Register's
deadline, exported as CSV (read back here, the figures checked by hand), and recorded paid in one command that
pays each contract once, however often it is retried. Through the handlers, on the in-memory store."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from services.contracts import handlers as h, messages as m
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.contracts.scenario import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    contract,
    deliver,
    open_engagement,
    recorded,
    sign_both,
)

PAYROLL = Actor(id="payroll", role=Role.integration)
TASK_DAY = dt.date(2026, 4, 1)
PAY_DAY = dt.date(2026, 4, 10)


async def three_contracts(deps, orders_store, clock):
    """A delivered lecture at the orderer's 42.50 €/h; a delivered one at the recommended table with a ticket and
    a per diem claimed and approved; one the orderer cancelled after both signed."""
    by_hour = orders.FeeTerms(mode=orders.FeeMode.orderer, hourly_fee=D("42.50"))
    delivered = await open_engagement(deps, orders_store, fee=by_hour)
    claimed = await open_engagement(deps, orders_store)
    cancelled = await open_engagement(deps, orders_store, hours="3")
    for engagement_id in (delivered, claimed, cancelled):
        await sign_both(deps, engagement_id)
    clock.today = TASK_DAY
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=delivered, actual_hours=D("2.5"), kilometres=D("38"), other_expenses=D("6.40")), delivered)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=claimed, actual_hours=D("2"), kilometres=D("0")), claimed)
    await call(h.claim_expenses, m.ClaimExpenses(engagement_id=claimed, lines=[
        {"kind": "public_transport", "amount": "12.80", "description": "Train Salo–Turku"},
        {"kind": "per_diem", "hours_away": "7"}]), EXPERT, deps)
    for line_no in (1, 2):
        await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=claimed, line_no=line_no), ORDERER, deps)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=cancelled, cancelled_by="orderer", reason="x", after_signing=True), cancelled)
    clock.today = PAY_DAY
    return delivered, claimed, cancelled


async def listed(deps, actor=COORDINATOR, paid_on=PAY_DAY):
    return await call(h.payment_batch, m.PaymentBatch(paid_on=paid_on), actor, deps)


async def test_the_batch_lists_each_part_with_its_tax_character_and_the_csv_reads_back(deps, orders_store, clock):
    delivered, claimed, cancelled = await three_contracts(deps, orders_store, clock)
    batch = await listed(deps, actor=PAYROLL)
    assert (batch["paid_on"], batch["report_by"], batch["report_overdue"]) == ("2026-04-10", "2026-04-15", False)
    rows = list(csv.DictReader(io.StringIO(batch["csv"])))
    parts = {(row["engagement_id"], row["item"]): (row["kind"], row["amount"], row["taxable"], row["character"])
             for row in rows}
    # By hand: 2.5 h × 42.50 € = 106.25 €; 38 km × 0.55 € (2026) = 20.90 €; the orderer's 6.40 € as typed.
    # The recommended table: 2 h × 30 € = 60 €; the ticket 12.80 €; over 6 h away in 2026: the per diem 25 €.
    # Cancelled by the orderer after signing: half of 3 h × 30 € = 45 €.
    assert parts == {
        (str(delivered), "fee"): ("fee", "106.25", "yes", "fee_income"),
        (str(delivered), "delivery_mileage"): ("car", "20.90", "no", "tax_free_allowance"),
        (str(delivered), "delivery_expenses"): ("other", "6.40", "no", "cost_reimbursement"),
        (str(claimed), "fee"): ("fee", "60.00", "yes", "fee_income"),
        (str(claimed), "line-1"): ("public_transport", "12.80", "no", "cost_reimbursement"),
        (str(claimed), "line-2"): ("per_diem", "25.00", "no", "tax_free_allowance"),
        (str(cancelled), "cancellation_fee"): ("fee", "45.00", "yes", "fee_income"),
    }
    assert {(row["batch_id"], row["payment_day"], row["report_by"], row["expert_id"], row["incomes_register"])
            for row in rows} == {(batch["batch_id"], "2026-04-10", "2026-04-15", "maija", "yes")}
    assert sum(D(row["amount"]) for row in rows) == D("276.35") == D(batch["total"])
    assert sum(D(row["amount"]) for row in rows if row["taxable"] == "yes") == D("211.25")
    assert all(row["rule"] for row in rows)
    by_engagement = {p["engagement_id"]: (p["total"], p["taxable"], p["tax_free"]) for p in batch["payments"]}
    assert by_engagement == {str(delivered): ("133.55", "106.25", "27.30"), str(claimed): ("97.80", "60.00", "37.80"),
                             str(cancelled): ("45.00", "45.00", "0.00")}


async def test_recording_the_batch_pays_each_contract_once_however_often_it_is_retried(deps, orders_store, clock):
    delivered, claimed, cancelled = await three_contracts(deps, orders_store, clock)
    batch = await listed(deps)
    record = m.RecordPaymentBatch(batch_id=batch["batch_id"], paid_on=PAY_DAY)
    first = await call(h.record_payment_batch, record, PAYROLL, deps)
    again = await call(h.record_payment_batch, m.RecordPaymentBatch(batch_id=batch["batch_id"], paid_on=PAY_DAY),
                       COORDINATOR, deps)
    assert first == again
    assert (first["total"], first["report_by"]) == ("276.35", "2026-04-15")
    paid = recorded(deps, "FeePaid")
    assert sorted((e["payload"]["engagement_id"], e["payload"]["total"], e["payload"]["batch_id"]) for e in paid) \
        == sorted([(str(delivered), "133.55", batch["batch_id"]), (str(claimed), "97.80", batch["batch_id"]),
                   (str(cancelled), "45.00", batch["batch_id"])])
    assert len(recorded(deps, "PaymentBatchRecorded")) == 1
    for engagement_id in (delivered, claimed, cancelled):
        assert (await contract(deps, engagement_id))["status"] == "paid"
    assert (await listed(deps))["payments"] == []


async def test_a_batch_that_changed_since_it_was_listed_is_refused_and_nothing_is_paid(deps, orders_store, clock):
    _, claimed, _ = await three_contracts(deps, orders_store, clock)
    batch = await listed(deps)
    await call(h.claim_expenses, m.ClaimExpenses(engagement_id=claimed, lines=[{"kind": "parking", "amount": "3"}]),
               EXPERT, deps)
    await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=claimed, line_no=3), ORDERER, deps)
    with pytest.raises(Conflict, match="list the batch again"):
        await call(h.record_payment_batch, m.RecordPaymentBatch(batch_id=batch["batch_id"], paid_on=PAY_DAY),
                   COORDINATOR, deps)
    assert recorded(deps, "FeePaid") == []
    assert D((await listed(deps))["total"]) == D("279.35")


async def test_a_payment_day_past_the_reporting_deadline_is_flagged(deps, orders_store, clock):
    await three_contracts(deps, orders_store, clock)
    late = await listed(deps, paid_on=PAY_DAY - dt.timedelta(days=6))
    assert (late["report_by"], late["report_overdue"]) == ("2026-04-09", True)
    on_time = await listed(deps, paid_on=PAY_DAY - dt.timedelta(days=5))
    assert (on_time["report_by"], on_time["report_overdue"]) == ("2026-04-10", False)


async def test_bad_input_names_the_field_and_pays_nothing(deps, orders_store, clock):
    await three_contracts(deps, orders_store, clock)
    batch = await listed(deps, paid_on=PAY_DAY + dt.timedelta(days=1))
    with pytest.raises(Invalid) as future:
        await call(h.record_payment_batch, m.RecordPaymentBatch(batch_id=batch["batch_id"],
                                                                paid_on=PAY_DAY + dt.timedelta(days=1)),
                   COORDINATOR, deps)
    assert future.value.fields[0].field == "paid_on"
    with pytest.raises(ValidationError, match="batch_id"):
        m.RecordPaymentBatch(batch_id="all of them", paid_on=PAY_DAY)
    assert recorded(deps, "FeePaid") == []


async def test_nothing_approved_is_nothing_to_pay(deps, clock):
    clock.today = PAY_DAY
    batch = await listed(deps)
    assert (batch["payments"], batch["total"]) == ([], "0.00")
    with pytest.raises(Conflict, match="nothing to pay"):
        await call(h.record_payment_batch, m.RecordPaymentBatch(batch_id=batch["batch_id"], paid_on=PAY_DAY),
                   COORDINATOR, deps)


@pytest.mark.parametrize("actor", [EXPERT, ORDERER])
async def test_only_a_coordinator_or_payroll_sees_and_records_the_batch(deps, actor):
    with pytest.raises(Forbidden):
        await listed(deps, actor=actor)
    with pytest.raises(Forbidden):
        await call(h.record_payment_batch, m.RecordPaymentBatch(batch_id="batch-" + "0" * 16, paid_on=PAY_DAY),
                   actor, deps)


async def test_an_allowance_over_the_years_tax_free_maximum_is_taxable_beyond_it(deps, orders_store, clock):
    # The county publishes rates above the maximums of 2026 (0.55 €/km, 54 € over 10 h): the excess is wage.
    await call(h.publish_expense_rates, m.PublishExpenseRates(
        rates_id="generous-2026", effective_from=dt.date(2026, 2, 1), car_per_km="0.70", per_diem_partial="30",
        per_diem_full="60", meal_allowance="15"), COORDINATOR, deps)
    engagement_id = await open_engagement(deps, orders_store)
    await sign_both(deps, engagement_id)
    clock.today = TASK_DAY
    await call(h.claim_expenses, m.ClaimExpenses(engagement_id=engagement_id, lines=[
        {"kind": "car", "kilometres": "100", "route": "Salo – Turku – Salo"},
        {"kind": "per_diem", "hours_away": "11"}]), EXPERT, deps)
    for line_no in (1, 2):
        await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=line_no),
                   ORDERER, deps)
    clock.today = PAY_DAY
    rows = list(csv.DictReader(io.StringIO((await listed(deps))["csv"])))
    # By hand: 100 km × 0.70 € = 70 €, of which 100 km × 0.55 € = 55 € tax-free and 15 € taxable; the per diem
    # 60 €, of which 54 € tax-free and 6 € taxable.
    assert [(row["item"], row["amount"], row["taxable"], row["character"]) for row in rows] == [
        ("line-1", "55.00", "no", "tax_free_allowance"),
        ("line-1-over-maximum", "15.00", "yes", "taxable_allowance"),
        ("line-2", "54.00", "no", "tax_free_allowance"),
        ("line-2-over-maximum", "6.00", "yes", "taxable_allowance")]


def test_the_csv_document_names_every_column_and_character():
    from pathlib import Path

    from services.contracts.payments import CSV_COLUMNS, Character

    text = (Path(__file__).resolve().parents[3] / "docs" / "payment-batch-csv.md").read_text()
    assert [name for name in CSV_COLUMNS if f"| `{name}` |" not in text] == []
    assert [c.value for c in Character if f"| `{c.value}` |" not in text] == []

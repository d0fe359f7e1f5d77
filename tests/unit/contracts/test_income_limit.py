"""The expert's own annual income limit: the fees of a calendar year summed against it (expenses are not
earnings), a warning where an approved fee would pass it, shown to the expert and the coordinator and never to
the orderer or payroll; cleared, the figure is shredded with its key. Through the handlers, in memory."""

from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from services.contracts import handlers as h, messages as m
from services.contracts.domain.income_limit import IncomeLimit
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
from tests.unit.contracts.test_payment_batch import PAY_DAY, PAYROLL

OTHER_EXPERT = Actor(id="pekka", role=Role.expert)


async def delivered(deps, orders_store, fixed_fee, kilometres="0"):
    fee = orders.FeeTerms(mode=orders.FeeMode.orderer, fixed_fee=D(fixed_fee))
    engagement_id = await open_engagement(deps, orders_store, fee=fee)
    await sign_both(deps, engagement_id)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=D("2"), kilometres=D(kilometres)), engagement_id)
    return engagement_id


async def summary(deps, actor=EXPERT, **kwargs):
    return await call(h.income_summary, m.IncomeSummary(expert_id="maija", **kwargs), actor, deps)


async def set_limit(deps, amount, actor=EXPERT):
    return await call(h.set_income_limit, m.SetIncomeLimit(expert_id="maija", annual_limit=amount), actor, deps)


async def test_fees_of_the_year_count_against_the_limit_and_a_fee_that_would_pass_it_is_warned_of(
        deps, orders_store, clock):
    answer = await set_limit(deps, "300.00")
    assert answer == {"expert_id": "maija", "income_limit_set": True}  # the figure is not repeated: replies are kept
    first = await delivered(deps, orders_store, "240.00", kilometres="100")
    clock.today = PAY_DAY
    await call(h.record_payment, m.RecordPayment(engagement_id=first, paid_on=PAY_DAY), COORDINATOR, deps)
    second = await delivered(deps, orders_store, "100.00")
    # By hand: 240 € of fees paid this year (the 55 € of mileage is not earnings); 100 € more would make 340 €.
    assert await summary(deps) == {"expert_id": "maija", "year": 2026, "annual_limit": "300.00",
                                   "monthly_limit": None, "fees_paid": "240.00", "fees_approved_unpaid": "100.00",
                                   "left": "60.00",
                                   "passed": False, "would_pass": True}
    assert (await summary(deps, year=2025))["fees_paid"] == "0.00"
    assert (await contract(deps, second, actor=EXPERT))["income_limit_warning"] is True
    assert (await contract(deps, second, actor=COORDINATOR))["income_limit_warning"] is True
    assert "income_limit_warning" not in await contract(deps, second, actor=ORDERER)
    batch = await call(h.payment_batch, m.PaymentBatch(paid_on=PAY_DAY), COORDINATOR, deps)
    assert [(p["engagement_id"], p["income_limit_warning"]) for p in batch["payments"]] == [(str(second), True)]
    for_payroll = await call(h.payment_batch, m.PaymentBatch(paid_on=PAY_DAY), PAYROLL, deps)
    assert "income_limit_warning" not in for_payroll["payments"][0]

    await set_limit(deps, "400.00", actor=COORDINATOR)  # a coordinator may set it for the expert
    assert (await contract(deps, second, actor=EXPERT))["income_limit_warning"] is False


async def test_a_cleared_limit_is_shredded_and_another_can_be_set(deps, orders_store):
    await set_limit(deps, "300.00")
    await call(h.clear_income_limit, m.ClearIncomeLimit(expert_id="maija"), EXPERT, deps)
    assert (await summary(deps))["annual_limit"] is None
    stream = await deps.uow.store.read_stream(IncomeLimit.stream_id("maija"))
    assert [e.payload.annual_limit for e in stream if e.event_type == "IncomeLimitSet"] == [None]  # its key is gone
    with pytest.raises(Conflict, match="no income limit"):
        await call(h.clear_income_limit, m.ClearIncomeLimit(expert_id="maija"), EXPERT, deps)
    await set_limit(deps, "1200.50")
    assert (await summary(deps))["annual_limit"] == "1200.50"
    assert [e["subject_id"] for e in recorded(deps, "IncomeLimitSet")] == ["income-limit:maija:0",
                                                                           "income-limit:maija:1"]


@pytest.mark.parametrize("actor", [OTHER_EXPERT, ORDERER, PAYROLL])
async def test_the_limit_is_the_experts_and_a_coordinators_alone(deps, actor):
    with pytest.raises(Forbidden):
        await set_limit(deps, "300.00", actor=actor)
    with pytest.raises(Forbidden):
        await summary(deps, actor=actor)
    with pytest.raises(Forbidden):
        await call(h.clear_income_limit, m.ClearIncomeLimit(expert_id="maija"), actor, deps)
    assert recorded(deps, "IncomeLimitSet") == []


@pytest.mark.parametrize("amount", ["0", "-100", "12.345", "abc"])
def test_a_limit_that_is_no_amount_of_euros_is_refused_by_its_field(amount):
    with pytest.raises(ValidationError) as refused:
        m.SetIncomeLimit(expert_id="maija", annual_limit=amount)
    assert [error["loc"][0] for error in refused.value.errors()] == ["annual_limit"]


# -- the monthly limit, checked before accepting an offer ----------------------------------------------

async def check(deps, actor=EXPERT, **offer):
    body = {"expert_id": "maija", "on": "2026-04-20", "duration_hours": "2", **offer}
    return await call(h.income_check, m.IncomeCheck(**body), actor, deps)


async def test_an_offer_that_would_pass_the_monthly_limit_is_warned_of_before_it_is_accepted(deps, orders_store):
    assert (await check(deps, fixed_fee="500"))["would_pass_monthly"] is False  # no limit: nothing to warn of
    await call(h.set_income_limit, m.SetIncomeLimit(expert_id="maija", monthly_limit=D("700")), EXPERT, deps)
    # Planned in April 2026: a delivered fixed 240 € and a signed 2 h at the recommended table (60 €).
    await delivered(deps, orders_store, "240.00")
    planned = await open_engagement(deps, orders_store)
    await sign_both(deps, planned)
    fits = await check(deps, fixed_fee="400")  # 240 + 60 + 400 = 700: at the limit, not past it
    assert (fits["month"], fits["fees_in_month"], fits["fee"], fits["would_pass_monthly"]) == (
        "2026-04", "300.00", "400.00", False)
    assert fits["would_pass_annual"] is False and fits["annual_limit"] is None
    assert (await check(deps, hourly_fee="45", duration_hours="9"))["would_pass_monthly"] is True  # 405 €
    # The recommended table in force on the task's day: 2 h × 30 € = 60 €, the minimum 50 € below it.
    assert (await check(deps))["fee"] == "60.00"
    # Another month has its own count.
    may = await check(deps, on="2026-05-04", fixed_fee="650")
    assert (may["month"], may["fees_in_month"], may["would_pass_monthly"]) == ("2026-05", "0.00", False)
    # The same offer, the yearly limit set too: both are checked.
    await call(h.set_income_limit, m.SetIncomeLimit(expert_id="maija", annual_limit=D("900"),
                                                    monthly_limit=D("700.00")), EXPERT, deps)
    both = await check(deps, on="2026-05-04", fixed_fee="650")
    assert (both["would_pass_monthly"], both["would_pass_annual"]) == (False, True)  # 300 + 650 > 900
    assert (await summary(deps))["monthly_limit"] == "700.00"


async def test_the_offer_check_is_the_experts_own_and_a_limit_needs_a_figure(deps):
    with pytest.raises(Forbidden):
        await check(deps, actor=OTHER_EXPERT, fixed_fee="100")
    assert (await check(deps, actor=COORDINATOR, fixed_fee="100"))["limit_set"] is False
    with pytest.raises(Invalid) as neither:
        await call(h.set_income_limit, m.SetIncomeLimit(expert_id="maija"), EXPERT, deps)
    assert [problem.field for problem in neither.value.fields] == ["annual_limit"]
    with pytest.raises(ValidationError):
        m.SetIncomeLimit(expert_id="maija", monthly_limit=D("-5"))

"""Volunteering: the expert declines the fee; the contract records its tax character and rule; only expenses are
paid, tax-free within the yearly caps (20 per diems, 3,000 € of kilometre allowance), counted across every
contract of the person; the approver is warned before a line passes a cap, and the excess is paid as taxable.
Through the handlers, on the in-memory store."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest

from services.contracts import handlers as h, messages as m
from services.contracts.domain.terms import VOLUNTEERING_RULE
from services.orders import events as orders
from shared.errors import Conflict, Forbidden
from shared.events import Actor
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

TASK_DAY = dt.date(2026, 4, 1)
AFTER = dt.date(2026, 4, 2)


async def volunteered(deps, orders_store, clock, *, decline=True):
    """A signed contract whose expert declined the fee (or not), the task delivered."""
    engagement_id = await open_engagement(deps, orders_store)
    await sign_both(deps, engagement_id)
    if decline:
        await call(h.decline_fee, m.DeclineFee(engagement_id=engagement_id), EXPERT, deps)
    clock.today = AFTER
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=D("2"), kilometres=D("0")), engagement_id)
    return engagement_id


async def claim(deps, engagement_id, line):
    await call(h.claim_expenses, m.ClaimExpenses(engagement_id=engagement_id, lines=[line]), EXPERT, deps)


async def approve(deps, engagement_id):
    await call(h.approve_expense_line, m.ApproveExpenseLine(engagement_id=engagement_id, line_no=1), ORDERER, deps)


async def parts(deps):
    batch = await call(h.payment_batch, m.PaymentBatch(paid_on=AFTER), COORDINATOR, deps)
    return {(row["engagement_id"], row["item"]): (row["amount"], row["taxable"], row["character"], row["rule"])
            for row in csv.DictReader(io.StringIO(batch["csv"]))}


async def test_a_declined_fee_makes_the_engagement_volunteering_paid_its_expenses_only(deps, orders_store, clock):
    engagement_id = await volunteered(deps, orders_store, clock)
    view = await contract(deps, engagement_id, EXPERT)
    assert (view["terms"]["volunteering"], view["terms"]["tax_character"]) == (True, "volunteering")
    assert view["terms"]["tax_rule"] == VOLUNTEERING_RULE and "71 §" in VOLUNTEERING_RULE
    assert view["fee"]["fee"] == "0.00"  # 2 h at the recommended 30 €/h, declined
    [declined] = recorded(deps, "FeeDeclined")
    assert declined["payload"]["tax_character"] == "volunteering"
    await claim(deps, engagement_id, {"kind": "per_diem", "hours_away": "7"})
    await approve(deps, engagement_id)
    paid = await parts(deps)
    assert paid == {(str(engagement_id), "line-1"): ("25.00", "no", "volunteer_allowance", paid[
        (str(engagement_id), "line-1")][3])}  # no fee part at all
    assert "20 days" in paid[(str(engagement_id), "line-1")][3]


async def test_only_the_contracts_expert_declines_and_only_before_the_fee_is_approved(deps, orders_store, clock):
    engagement_id = await open_engagement(deps, orders_store)
    with pytest.raises(Forbidden):
        await call(h.decline_fee, m.DeclineFee(engagement_id=engagement_id), Actor(id="pekka", role="expert"), deps)
    approved = await volunteered(deps, orders_store, clock, decline=False)
    with pytest.raises(Conflict):
        await call(h.decline_fee, m.DeclineFee(engagement_id=approved), EXPERT, deps)


async def test_a_volunteers_contract_cancelled_late_by_the_orderer_owes_no_fee(deps, orders_store):
    engagement_id = await open_engagement(deps, orders_store)
    await sign_both(deps, engagement_id)
    await call(h.decline_fee, m.DeclineFee(engagement_id=engagement_id), EXPERT, deps)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="x", after_signing=True), engagement_id)
    assert (await contract(deps, engagement_id))["cancellation"]["fee_owed"] == "0.00"


async def test_the_21st_per_diem_of_a_year_is_warned_about_and_paid_as_taxable(deps, orders_store, clock):
    engagements = [await volunteered(deps, orders_store, clock) for _ in range(21)]
    for engagement_id in engagements:
        await claim(deps, engagement_id, {"kind": "per_diem", "hours_away": "7"})
    for engagement_id in engagements[:20]:
        assert (await contract(deps, engagement_id, ORDERER))["volunteer_cap_warnings"] == {}
        await approve(deps, engagement_id)
    last = engagements[20]
    # Before approval, the approver sees that the 21st per diem of the year passes the cap: all of it taxable.
    assert (await contract(deps, last, ORDERER))["volunteer_cap_warnings"] == {"1": "25.00"}
    assert "volunteer_cap_warnings" not in await contract(deps, last, EXPERT)
    await approve(deps, last)  # approved all the same: the Finnish rule makes the excess taxable income
    paid = await parts(deps)
    # Which of the year's unpaid per diems is the one over the cap follows the tasks' order; one of them is.
    taxable = [value[:3] for value in paid.values() if value[1] == "yes"]
    assert taxable == [("25.00", "yes", "volunteer_over_cap")]
    assert sum(1 for value in paid.values() if value[2] == "volunteer_allowance") == 20


async def test_kilometre_allowance_over_3000_euros_a_year_is_taxable_and_others_are_not_capped(
        deps, orders_store, clock):
    volunteer = [await volunteered(deps, orders_store, clock) for _ in range(3)]
    paid_fee = await volunteered(deps, orders_store, clock, decline=False)
    for engagement_id in [*volunteer, paid_fee]:
        await claim(deps, engagement_id, {"kind": "car", "kilometres": "2000", "route": "Home – away – home"})
    for engagement_id in volunteer[:2]:
        await approve(deps, engagement_id)
    # 2 × 2000 km × 0.55 € = 2,200 € approved; another 1,100 € passes the 3,000 € cap by 300 €.
    assert (await contract(deps, volunteer[2], COORDINATOR))["volunteer_cap_warnings"] == {"1": "300.00"}
    await approve(deps, volunteer[2])
    await approve(deps, paid_fee)
    paid = await parts(deps)
    mine = {key: value for key, value in paid.items() if key[0] in {str(e) for e in volunteer}}
    assert sum(D(v[0]) for v in mine.values() if v[2] == "volunteer_allowance") == D("3000.00")
    assert [v[:3] for v in mine.values() if v[1] == "yes"] == [("300.00", "yes", "volunteer_over_cap")]
    # The fee-paid engagement's journey is the ordinary tax-free allowance, whatever the volunteer caps.
    assert paid[(str(paid_fee), "line-1")][:3] == ("1100.00", "no", "tax_free_allowance")

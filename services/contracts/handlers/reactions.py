"""The contracts service's reactions to the orders service's events: draft, amend, approve the fee, cancel."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.contracts.domain import Contract, OrdererFee, RateTables, Task
from services.contracts.domain.amendment import Amendment
from services.contracts.expenses import ExpenseRates
from services.orders import events as orders
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Invalid
from shared.events import SYSTEM
from shared.handling import EventContext
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.contracts.service import Deps

from services.contracts.handlers.contracts import load_contract

# -- reactions to the orders service's events --------------------------------------------------------------

async def draft_contract(event: Envelope[orders.EngagementOpened], ctx: EventContext, deps: Deps) -> None:
    """An engagement opened: draft its contract with the rates in force today, which it then keeps."""
    opened = event.payload
    contract = await ctx.session.load(Contract, str(opened.engagement_id), must_exist=False)
    if contract.exists:
        return  # the same engagement announced twice: its contract stands as drafted
    tables = await ctx.session.load(RateTables, RateTables.ID, must_exist=False)
    expense_rates = await ctx.session.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    # Consumers start before the start-up seed has run: seed here too. Should the seed commit meanwhile,
    # this conflicts and the message is retried, to find that table.
    for seeded, aggregate in ((tables.seed_default(), tables), (expense_rates.seed(), expense_rates)):
        if seeded:
            await ctx.session.save(aggregate, Metadata(actor=SYSTEM))
    today = deps.clock.today()
    fee = opened.fee
    orderer_fee = OrdererFee(fee.hourly_fee, fee.fixed_fee) if fee.mode is orders.FeeMode.orderer else OrdererFee()
    task = Task(opened.date, opened.task_type.value, opened.topic, opened.remote, opened.place, opened.start_time)
    # Expenses at the rates in force on the task's date; a task before the first rates, at the first.
    rates_on_the_day = expense_rates.in_force(opened.date) or expense_rates.publications[0]
    contract.draft(opened.expert_id, opened.orderer_id, orderer_fee, fee.expenses_reimbursed,
                   opened.duration_hours, tables.in_force(today), today, task, rates_on_the_day)
    await ctx.session.save(contract, ctx.meta(engagement_id=opened.engagement_id))


async def amend_on_change(event: Envelope[orders.EngagementChangeAccepted], ctx: EventContext, deps: Deps) -> None:
    """The expert accepted a change of the task's date, time, length or place: the contract is amended, a new
    version of its document which both parties sign again (as a coordinator's amendment is). The new place is the
    orderer's, sealed by orders: the contract's place reads "as ordered". A contract cancelled or its fee approved
    meanwhile is no longer amended."""
    accepted = event.payload
    contract = await load_contract(ctx.session, accepted.engagement_id)
    if contract.cancellation is not None or contract.approval is not None:
        return
    amendment = Amendment(task_date=accepted.date, start_time=accepted.start_time,
                          duration_hours=accepted.duration_hours, remote=accepted.remote, place=accepted.place,
                          place_changed=accepted.place_changed)
    try:
        contract.amend(amendment, deps.clock.today())
    except Invalid as error:  # a coordinator's amendment made the same change already: nothing to amend
        if [problem.field for problem in error.fields] != ["(message)"]:
            raise
        return
    await ctx.session.save(contract, ctx.meta(engagement_id=accepted.engagement_id))


async def approve_fee(event: Envelope[orders.DeliveryConfirmed], ctx: EventContext, deps: Deps) -> None:
    """The orderer confirmed the delivery: compute the fee and expenses from the contract's terms."""
    delivered = event.payload
    contract = await load_contract(ctx.session, delivered.engagement_id)
    contract.approve_fee(delivered.actual_hours, delivered.kilometres, delivered.other_expenses)
    await ctx.session.save(contract, ctx.meta(engagement_id=delivered.engagement_id))


async def cancel_contract(event: Envelope[orders.EngagementCancelled], ctx: EventContext, deps: Deps) -> None:
    """The engagement was cancelled: so is its contract, owing its share of the fee if it was signed by both
    when the orders service cancelled it."""
    cancelled = event.payload
    contract = await load_contract(ctx.session, cancelled.engagement_id)
    after_signing = cancelled.after_signing or await _fully_signed_before(ctx.session, contract, event.recorded_at)
    contract.cancel(after_signing, cancelled.cancelled_by)
    await ctx.session.save(contract, ctx.meta(engagement_id=cancelled.engagement_id))


async def _fully_signed_before(session: Session, contract: Contract, moment: dt.datetime) -> bool:
    """The orders service cancels "before signing" while the last signature may still be on its way to it:
    what counts is whether both had signed here before the cancellation was made."""
    if not contract.fully_signed:
        return False
    stream = await session.store.read_stream(Contract.stream_id(contract.id), connection=session.connection)
    return any(e.event_type == "ContractFullySigned" and e.recorded_at <= moment for e in stream)

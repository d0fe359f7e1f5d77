"""The payment batch: what is approved and unpaid with each part's tax character, as data and as the CSV
payroll imports, and recording it paid in one command (the coordinator, or the payroll system)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import Contract
from services.contracts.domain.income_limit import IncomeLimit, fee_paid_in
from services.contracts.domain.payment_batch import PaymentBatch
from services.contracts.domain.terms import ZERO
from services.contracts.events import PaymentBatchRecorded
from services.contracts.handlers.income import contracts_of
from services.contracts.handlers.views import money
from services.contracts.handlers.volunteering import volunteer_shares
from services.contracts.payments import RULES, Batch, Payment, batch_csv, batch_of
from services.contracts.views import ContractRow
from shared.errors import Conflict, invalid
from shared.events import Role
from shared.handling import CommandContext, QueryContext
from shared.unit_of_work import Session, UnitOfWork

if TYPE_CHECKING:
    from services.contracts.service import Deps

PAYROLL = (Role.coordinator, Role.integration)


def _may_owe(row: ContractRow) -> bool:
    """The rows whose contract may owe something now; the contract itself says exactly what."""
    return (row.status == "fee_approved" or row.expenses_due > 0
            or (row.status == "cancelled" and (row.fee_owed or Decimal(0)) > 0))


async def _owing(deps: Deps, source: Session | UnitOfWork) -> dict[str, Contract]:
    rows = [row for row in await deps.views.contracts() if _may_owe(row)]
    return {str(row.engagement_id): await source.load(Contract, str(row.engagement_id)) for row in rows}


def _payment_view(payment: Payment) -> dict[str, Any]:
    return {"engagement_id": str(payment.engagement_id), "contract_id": str(payment.contract_id),
            "expert_id": payment.expert_id, "orderer_id": payment.orderer_id,
            "task_date": payment.task_date.isoformat() if payment.task_date else None,
            "total": money(payment.total), "taxable": money(payment.taxable),
            "tax_free": money(payment.total - payment.taxable),
            "parts": [{"item": part.item, "kind": part.kind, "amount": money(part.amount), "taxable": part.taxable,
                       "character": part.character.value, "incomes_register": True, "rule": RULES[part.character]}
                      for part in payment.parts]}


def _deadline(report_by: dt.date, today: dt.date) -> dict[str, Any]:
    """The Incomes Register's deadline, and whether it has passed (to be reported at once)."""
    return {"report_by": report_by.isoformat(), "report_overdue": today > report_by}


async def payment_batch(query: m.PaymentBatch, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The fees and approved expense lines not yet paid, per contract, each part with its tax character, to be
    paid on ``paid_on``; its id, which recording it names, and its CSV for payroll (a coordinator, payroll)."""
    ctx.require_role(*PAYROLL)
    owing = (await _owing(deps, deps.uow)).values()
    batch = batch_of(owing, query.paid_on or deps.clock.today(), await volunteer_shares(deps, deps.uow, owing))
    payments = [_payment_view(p) for p in batch.payments]
    if ctx.actor.role is Role.coordinator:  # that an expert has a limit is theirs and the coordinator's to know
        flagged = await _past_limits(deps, batch)
        for view in payments:
            view["income_limit_warning"] = view["engagement_id"] in flagged
    return {"batch_id": batch.batch_id, "paid_on": batch.paid_on.isoformat(),
            **_deadline(batch.report_by, deps.clock.today()), "total": money(batch.total),
            "payments": payments,
            "csv": batch_csv(batch), "filename": f"{batch.batch_id}.csv"}


async def _past_limits(deps: Deps, batch: Batch) -> set[str]:
    """The payments whose fee takes their expert past the expert's own annual limit, counting the fees paid in
    the payment day's year and those before it in the batch."""
    flagged = set()
    for expert_id in sorted({p.expert_id for p in batch.payments}):
        limit = (await deps.uow.load(IncomeLimit, expert_id, must_exist=False)).limit
        if limit is None:
            continue
        earned = sum((fee_paid_in(c, batch.paid_on.year) for c in await contracts_of(deps, deps.uow, expert_id)),
                     ZERO)
        for payment in (p for p in batch.payments if p.expert_id == expert_id):
            earned += payment.taxable
            if payment.taxable and earned > limit:
                flagged.add(str(payment.engagement_id))
    return flagged


def _recorded_view(event: PaymentBatchRecorded, today: dt.date) -> dict[str, Any]:
    return {"batch_id": event.batch_id, "paid_on": event.paid_on.isoformat(), **_deadline(event.report_by, today),
            "total": money(event.total),
            "payments": [{"engagement_id": str(p.engagement_id), "total": money(p.total), "taxable": money(p.taxable)}
                         for p in event.payments]}


async def record_payment_batch(cmd: m.RecordPaymentBatch, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record a listed batch as paid: one ``FeePaid`` per contract, all or none. The same batch recorded again
    answers as the first time and pays nothing twice (a coordinator, payroll)."""
    ctx.require_role(*PAYROLL)
    today = deps.clock.today()
    if cmd.paid_on > today:
        raise invalid("paid_on", "is in the future", f"a date on or before {today}")
    recorded = await ctx.session.load(PaymentBatch, cmd.batch_id, must_exist=False)
    if recorded.recorded is not None:
        return _recorded_view(recorded.recorded, today)
    contracts = await _owing(deps, ctx.session)
    batch = batch_of(contracts.values(), cmd.paid_on,
                     await volunteer_shares(deps, ctx.session, contracts.values()))
    if batch.batch_id != cmd.batch_id:
        raise Conflict(f"batch {cmd.batch_id} is no longer what is due on {cmd.paid_on}: something was approved "
                       "or paid since it was listed; list the batch again and export it again")
    event = recorded.pay(batch)
    for payment in batch.payments:
        contract = contracts[str(payment.engagement_id)]
        contract.record_payment(cmd.paid_on, batch.batch_id)
        await ctx.session.save(contract, ctx.meta(engagement_id=payment.engagement_id))
    await ctx.session.save(recorded, ctx.meta())
    return _recorded_view(event, today)

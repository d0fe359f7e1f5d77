"""The expert's own annual and monthly income limits: set and cleared by the expert (or a coordinator for them),
the fees of a year summed against them, the warning where an approved fee would pass the year's, and the check
before accepting an offer whose fee would pass either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import Contract
from services.contracts.domain.income_limit import IncomeLimit, fee_due, fee_in_period, fee_paid_in
from services.contracts.domain.terms import ZERO
from services.contracts.expenses import cents
from services.contracts.handlers.rates import rate_tables_of
from services.contracts.handlers.views import money
from shared.errors import Forbidden
from shared.events import Actor, Role
from shared.handling import CommandContext, QueryContext
from shared.unit_of_work import Session, UnitOfWork

if TYPE_CHECKING:
    from services.contracts.service import Deps


def _own(actor: Actor, expert_id: str) -> None:
    if actor.role is Role.expert and actor.id != expert_id:
        raise Forbidden("an expert sets and reads only their own income limit")


async def set_income_limit(cmd: m.SetIncomeLimit, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Set the expert's annual limit of fee income (the expert, or a coordinator for them). The answer does not
    repeat the limit: a command's answer is kept in clear."""
    ctx.require_role(Role.expert, Role.coordinator)
    _own(ctx.actor, cmd.expert_id)
    limit = await ctx.session.load(IncomeLimit, cmd.expert_id, must_exist=False)
    limit.set(cmd.annual_limit, cmd.monthly_limit)
    await ctx.session.save(limit, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "income_limit_set": True}


async def clear_income_limit(cmd: m.ClearIncomeLimit, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Clear the limit; its sealing key is shredded, so the figure is gone from the history too."""
    ctx.require_role(Role.expert, Role.coordinator)
    _own(ctx.actor, cmd.expert_id)
    limit = await ctx.session.load(IncomeLimit, cmd.expert_id, must_exist=False)
    subject = limit.clear()
    await ctx.session.save(limit, ctx.meta(subject_id=cmd.expert_id))
    await ctx.session.shred(subject)
    return {"expert_id": cmd.expert_id, "income_limit_set": False}


async def contracts_of(deps: Deps, source: Session | UnitOfWork, expert_id: str) -> list[Contract]:
    return [await source.load(Contract, str(row.engagement_id)) for row in await deps.views.contracts(
        expert_id=expert_id)]


def passes(limit: Decimal | None, contracts: Iterable[Contract], year: int, fee: Decimal) -> bool:
    """Whether ``fee`` on top of the fees paid in ``year`` passes the limit."""
    return limit is not None and fee > 0 and sum((fee_paid_in(c, year) for c in contracts), ZERO) + fee > limit


async def income_summary(query: m.IncomeSummary, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The expert's fees of a calendar year against their limit: paid, approved and not yet paid, what is left
    (the expert, a coordinator)."""
    ctx.require_role(Role.expert, Role.coordinator)
    _own(ctx.actor, query.expert_id)
    year = query.year or deps.clock.today().year
    limits = await deps.uow.load(IncomeLimit, query.expert_id, must_exist=False)
    limit = limits.limit
    contracts = await contracts_of(deps, deps.uow, query.expert_id)
    paid = sum((fee_paid_in(c, year) for c in contracts), ZERO)
    due = sum((fee_due(c) for c in contracts), ZERO)
    return {"expert_id": query.expert_id, "year": year, "annual_limit": money(limit),
            "monthly_limit": money(limits.monthly), "fees_paid": money(paid),
            "fees_approved_unpaid": money(due), "left": money(limit - paid) if limit is not None else None,
            "passed": limit is not None and paid > limit,
            "would_pass": limit is not None and paid + due > limit}


async def limit_warning(deps: Deps, contract: Contract) -> bool:
    """Whether the contract's approved, unpaid fee would take its expert past their limit this year."""
    terms = contract.terms
    assert terms is not None
    fee = fee_due(contract)
    if not fee:
        return False
    limit = (await deps.uow.load(IncomeLimit, terms.expert_id, must_exist=False)).limit
    if limit is None:
        return False
    return passes(limit, await contracts_of(deps, deps.uow, terms.expert_id), deps.clock.today().year, fee)


async def _offer_fee(deps: Deps, query: m.IncomeCheck) -> Decimal:
    """The fee an offer would bring: its fixed fee, its hourly fee for the hours, or the recommended table's in
    force on the task's day (its minimum applying), as a contract drafted from it would have."""
    if query.fixed_fee is not None:
        return cents(query.fixed_fee)
    if query.hourly_fee is not None:
        return cents(query.hourly_fee * query.duration_hours)
    table = (await rate_tables_of(deps)).in_force(query.on)
    return cents(max(table.hourly_fee * query.duration_hours, table.minimum_fee)) if table is not None else ZERO


async def income_check(query: m.IncomeCheck, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Whether an offer's fee would take the expert past their monthly or yearly limit, the fees of the task's
    month and year counted by their tasks' dates (planned ones at their planned hours): asked before the expert
    accepts it (the expert, a coordinator)."""
    ctx.require_role(Role.expert, Role.coordinator)
    _own(ctx.actor, query.expert_id)
    limits = await deps.uow.load(IncomeLimit, query.expert_id, must_exist=False)
    fee = await _offer_fee(deps, query)
    if not limits.is_set:
        return {"expert_id": query.expert_id, "fee": money(fee), "limit_set": False, "would_pass_monthly": False,
                "would_pass_annual": False}
    contracts = await contracts_of(deps, deps.uow, query.expert_id)
    day = query.on
    month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    in_month = sum((fee_in_period(c, day.replace(day=1), month_end) for c in contracts), ZERO)
    in_year = sum((fee_in_period(c, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)) for c in contracts), ZERO)
    return {"expert_id": query.expert_id, "fee": money(fee), "limit_set": True, "month": day.strftime("%Y-%m"),
            "monthly_limit": money(limits.monthly), "fees_in_month": money(in_month),
            "annual_limit": money(limits.limit), "fees_in_year": money(in_year),
            "would_pass_monthly": limits.monthly is not None and fee > 0 and in_month + fee > limits.monthly,
            "would_pass_annual": limits.limit is not None and fee > 0 and in_year + fee > limits.limit}

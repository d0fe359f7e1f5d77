"""The rate tables of fees and of expenses: published by the coordinator, seeded with the recommended ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import RateTables
from services.contracts.events import ExpenseRatesPublished, RateTablePublished
from services.contracts.expenses import ExpenseRates
from shared.aggregate import Metadata
from shared.errors import NotFound
from shared.events import SYSTEM, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, QueryContext

if TYPE_CHECKING:
    from services.contracts.service import Deps

from services.contracts.handlers.views import money

# -- rate tables -----------------------------------------------------------------------------------------

def _table_view(table: RateTablePublished) -> dict[str, Any]:
    return {"rate_table_id": table.rate_table_id, "effective_from": table.effective_from.isoformat(),
            "hourly_fee": money(table.hourly_fee), "minimum_fee": money(table.minimum_fee),
            "mileage_per_km": money(table.mileage_per_km)}


async def _seed(deps: Deps, aggregate: RateTables | ExpenseRates, seeded: Callable[[], bool]) -> bool:
    """Record what ``seeded`` records when the stream is empty; True when this call did.

    Every replica tries this at start. The loser of a race gets a conflict from the version check, and that
    only means the seed is there: so it is swallowed, and exactly one seed results.
    """
    if not seeded():
        return False
    try:
        async with deps.uow.begin() as session:
            await session.save(aggregate, Metadata(actor=SYSTEM))
    except ConcurrencyConflict:
        return False
    return True


async def seed_default_rate_table(deps: Deps) -> bool:
    """Publish the placeholder table when none exists; True when this call did."""
    tables = await deps.uow.load(RateTables, RateTables.ID, must_exist=False)
    return await _seed(deps, tables, tables.seed_default)


async def publish_rate_table(cmd: m.PublishRateTable, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Publish a new recommended fee and expense table, in force from a date after the latest table's (coordinator)."""
    ctx.require_role(Role.coordinator)
    tables = await ctx.session.load(RateTables, RateTables.ID, must_exist=False)
    table = tables.publish(cmd.rate_table_id, cmd.effective_from, cmd.hourly_fee, cmd.minimum_fee, cmd.mileage_per_km)
    await ctx.session.save(tables, ctx.meta())
    return _table_view(table)


async def seed_expense_rates(deps: Deps) -> bool:
    """Publish the tax-free maximums of 2024 to 2026 when no expense rates exist; True when this call did (the
    loser of a race between replicas finds them there)."""
    rates = await deps.uow.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    return await _seed(deps, rates, rates.seed)


def _expense_rates_view(rates: ExpenseRatesPublished) -> dict[str, Any]:
    return {"rates_id": rates.rates_id, "effective_from": rates.effective_from.isoformat(),
            "car_per_km": money(rates.car_per_km), "per_diem_partial": money(rates.per_diem_partial),
            "per_diem_full": money(rates.per_diem_full), "meal_allowance": money(rates.meal_allowance)}


async def publish_expense_rates(cmd: m.PublishExpenseRates, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Publish expense rates in force from a date after the latest ones' (coordinator)."""
    ctx.require_role(Role.coordinator)
    rates = await ctx.session.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    rates.seed()  # the tax-free maximums come first, so that the history of past years is there
    published = rates.publish(cmd.rates_id, cmd.effective_from, cmd.car_per_km, cmd.per_diem_partial,
                              cmd.per_diem_full, cmd.meal_allowance)
    await ctx.session.save(rates, ctx.meta())
    return _expense_rates_view(published)


async def expense_rates(query: m.ListExpenseRates, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every expense rates publication, oldest first (any role)."""
    rates = await deps.uow.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    return [_expense_rates_view(published) for published in rates.publications]


async def rate_tables_of(deps: Deps) -> RateTables:
    return await deps.uow.load(RateTables, RateTables.ID, must_exist=False)


async def rate_tables(query: m.ListRateTables, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every recommended fee and expense table, oldest first (any role)."""
    return [_table_view(table) for table in (await rate_tables_of(deps)).tables]


async def rate_in_force(query: m.RateInForce, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The recommended table in force on a date, today by default (any role)."""
    day = query.on or deps.clock.today()
    table = (await rate_tables_of(deps)).in_force(day)
    if table is None:
        raise NotFound(f"no rate table is in force on {day}")
    return _table_view(table)

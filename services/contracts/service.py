"""The contracts service, described: what it publishes, answers and consumes, its start-up job, and its
composition root."""

from __future__ import annotations

import logging
from typing import Any

from services.contracts import events
from services.contracts.handlers import COMMANDS, CONSUMES, QUERIES, seed_default_rate_table, seed_expense_rates
from services.contracts.projections import SQL, ContractTables
from services.contracts.views import ContractsViews
from shared.definition import Job, ServiceDefinition, ServiceDeps, compose
from shared.events import events_in

log = logging.getLogger(__name__)

Deps = ServiceDeps[ContractsViews]


async def seed_at_start(deps: Deps) -> None:
    # Once, not every tick: drafting a contract seeds too, should this fail or come late.
    if await seed_default_rate_table(deps):
        log.info("published the default rate table")
    if await seed_expense_rates(deps):
        log.info("published the tax-free expense rates of 2024 to 2026")


def definition() -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="contracts",
        description="Recommended fee and expense tables, assignment contracts, signatures, fees and payments",
        events=events_in(events),
        views=ContractTables,
        compose=compose,
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("seed_default_rate_table", seed_at_start),),
        sql=(SQL,),
    )

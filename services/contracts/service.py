"""The contracts service, described: what it publishes, answers and consumes, its start-up job, and its
composition root."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from services.contracts import events
from services.contracts.handlers import COMMANDS, CONSUMES, QUERIES, seed_default_rate_table, seed_expense_rates
from services.contracts.projections import SQL, ContractTables
from services.contracts.receipts import ReceiptStore, receipt_store_from_environment
from services.contracts.views import ContractsViews
from shared.clock import Clock
from shared.definition import Job, ServiceDefinition, ServiceDeps
from shared.events import events_in
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

@dataclass
class Deps(ServiceDeps[ContractsViews]):
    receipts: ReceiptStore = field(default_factory=receipt_store_from_environment)


def compose(uow: UnitOfWork, views: ContractsViews, settings: Settings | None = None, requester: Any = None,
            clock: Clock | None = None, receipts: ReceiptStore | None = None) -> Deps:
    """The contracts service's dependencies: the kernel's, and the receipt store (a folder, or an S3-compatible
    bucket: :func:`~services.contracts.receipts.receipt_store_from_environment`)."""
    return Deps(uow=uow, views=views, clock=clock or Clock(), receipts=receipts or receipt_store_from_environment())


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

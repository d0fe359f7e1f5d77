"""The contracts service's composition root: real adapters in, one ServiceDefinition out."""

from __future__ import annotations

from shared.runtime.service import ServiceDefinition, Wiring
from shared.unit_of_work import UnitOfWork
from services.contracts import entrypoint, events
from services.contracts.handlers import Deps
from services.contracts.projections import SQL, ContractTables


def wire(w: Wiring) -> None:
    tables = ContractTables(w.schema)
    deps = Deps(uow=UnitOfWork(w.store, w.pool, tables), store=w.store, schema=w.schema)
    w.publishes(events)
    entrypoint.wire(w, deps)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="contracts",
        wire=wire,
        sql=(SQL,),
        consumes=("orders",),
        description="Recommended fee and expense tables, assignment contracts, signatures, fees and payments",
    )

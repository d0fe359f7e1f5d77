"""The registry's composition root: real adapters in, one ServiceDefinition out."""

from __future__ import annotations

from shared.runtime.service import ServiceDefinition, Wiring
from shared.unit_of_work import UnitOfWork
from services.registry import entrypoint, events
from services.registry.handlers import Deps
from services.registry.projections import SQL, RegistryTables


def wire(w: Wiring) -> None:
    tables = RegistryTables(w.schema)
    deps = Deps(uow=UnitOfWork(w.store, w.pool, tables), store=w.store, schema=w.schema)
    w.publishes(events)
    entrypoint.wire(w, deps)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="registry",
        wire=wire,
        sql=(SQL,),
        consumes=(),
        description="Organizations, experts, training, consent, the experience bank and orderers' credentials",
    )

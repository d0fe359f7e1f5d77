"""The audit's composition root: real adapters in, one ServiceDefinition out."""

from __future__ import annotations

from shared.runtime.service import ServiceDefinition, Wiring
from shared.unit_of_work import UnitOfWork
from services.audit import entrypoint, events
from services.audit.domain import SOURCES
from services.audit.handlers import Deps
from services.audit.projections import SQL, PostgresAuditTables


def wire(w: Wiring) -> None:
    deps = Deps(uow=UnitOfWork(w.store, w.pool), store=w.store, tables=PostgresAuditTables(w.pool, w.schema))
    w.publishes(events)
    entrypoint.wire(w, deps)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="audit",
        wire=wire,
        sql=(SQL,),
        consumes=SOURCES,
        description="Every engagement's hash-chained audit trail, gathered from the events of every service, "
                    "and the verification of every service's hash chains",
    )

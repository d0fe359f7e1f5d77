"""The orders service's composition root: real adapters in, one ServiceDefinition out."""

from __future__ import annotations

from shared.runtime.service import ServiceDefinition, Wiring
from shared.unit_of_work import UnitOfWork
from services.orders import entrypoint, events
from services.orders.handlers import Deps
from services.orders.projections import SQL, OrdersTables, RegistryView
from services.orders.read_model import PostgresReadModel


def wire(w: Wiring) -> None:
    deps = Deps(
        uow=UnitOfWork(w.store, w.pool, OrdersTables(w.schema)),
        read_model=PostgresReadModel(w.pool, w.schema),  # type: ignore[arg-type]
        registry_view=RegistryView(w.schema),
    )
    w.publishes(events)
    entrypoint.wire(w, deps)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="orders",
        wire=wire,
        sql=(SQL,),
        consumes=("registry", "contracts", "feedback"),
        description="Orders, offers and engagements: from an accepted offer to a closed engagement",
    )

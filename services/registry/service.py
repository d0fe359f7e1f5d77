"""The registry, described: what it publishes and answers, and its composition root."""

from __future__ import annotations

from typing import Any

from services.registry import events
from services.registry.handlers import COMMANDS, QUERIES
from services.registry.projections import SQL, RegistryTables
from services.registry.views import RegistryViews
from shared.definition import ServiceDefinition, ServiceDeps, compose
from shared.events import events_in

Deps = ServiceDeps[RegistryViews]


def definition() -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="registry",
        description="Organizations, experts, training, consent, the experience bank and orderers' credentials",
        events=events_in(events),
        views=RegistryTables,
        compose=compose,
        commands=COMMANDS,
        queries=QUERIES,
        sql=(SQL,),
    )

"""The registry, described: what it publishes and answers, and its composition root."""

from __future__ import annotations

from typing import Any

from services.registry import events
from services.registry.handlers import COMMANDS, CONSUMES, QUERIES, remind_and_expire_consents
from services.registry.handlers.retention import apply_retention
from services.registry.projections import SQL, RegistryTables
from services.registry.views import RegistryViews
from shared.definition import Job, ServiceDefinition, ServiceDeps, compose
from shared.events import events_in

Deps = ServiceDeps[RegistryViews]
CONSENT_CHECK_SECONDS = 3600.0  # consents end on a date: an hourly look is soon enough
RETENTION_CHECK_SECONDS = 24 * 3600.0  # a rule counted in years: once a day


def definition() -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="registry",
        description=("Organizations, experts and their profiles, training programmes, consents, availability, the "
                     "experience bank, who looked at whom, and orderers' credentials"),
        events=events_in(events),
        views=RegistryTables,
        compose=compose,
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("remind_and_expire_consents", remind_and_expire_consents, every_seconds=CONSENT_CHECK_SECONDS),
              Job("apply_retention", apply_retention, every_seconds=RETENTION_CHECK_SECONDS)),
        sql=(SQL,),
    )

"""The audit, described: what it keeps from every source and what the audit team asks it, and its
composition root."""

from __future__ import annotations

from typing import Any

from services.audit import events
from services.audit.handlers import CONSUMES, QUERIES
from services.audit.projections import SQL, PostgresAuditTables
from services.audit.views import AuditTables
from shared.definition import ServiceDefinition, ServiceDeps, compose
from shared.events import events_in

Deps = ServiceDeps[AuditTables]


def definition() -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="audit",
        description="Every engagement's hash-chained audit trail, gathered from the events of every service, "
                    "and the verification of every service's hash chains",
        events=events_in(events),
        views=PostgresAuditTables,
        compose=compose,
        queries=QUERIES,
        consumes=CONSUMES,
        sql=(SQL,),
    )

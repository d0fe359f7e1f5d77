"""The audit, described: what it keeps from every source, what the audit team asks it, the checkpoints it
signs, and its composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.jwk import OKPKey

from services.audit import events
from services.audit.handlers import COMMANDS, CONSUMES, QUERIES, sign_checkpoint
from services.audit.projections import SQL, PostgresAuditTables
from services.audit.views import AuditTables
from shared.clock import Clock
from shared.definition import Job, ServiceDefinition, ServiceDeps
from shared.events import events_in
from shared.identity import signing_key
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork


@dataclass(kw_only=True)
class Deps(ServiceDeps[AuditTables]):
    checkpoint_key: OKPKey | None = None  # in no database: without it, no checkpoint is signed


def compose(uow: UnitOfWork, views: AuditTables, settings: Settings | None = None, requester: Any = None,
            clock: Clock | None = None, checkpoint_key: OKPKey | None = None) -> Deps:
    if checkpoint_key is None and settings is not None and settings.audit_signing_key:
        checkpoint_key = signing_key(settings.audit_signing_key)
    return Deps(uow=uow, views=views, clock=clock or Clock(), checkpoint_key=checkpoint_key)


def definition(checkpoint_seconds: float = 300.0) -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="audit",
        description="Every engagement's hash-chained audit trail, gathered from the events of every service, "
                    "the verification of every service's hash chains, and signed checkpoints of their heads",
        events=events_in(events),
        views=PostgresAuditTables,
        compose=compose,
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("sign_checkpoint", sign_checkpoint, every_seconds=checkpoint_seconds),),
        sql=(SQL,),
    )

"""The feedback service's composition root: real adapters in, one ServiceDefinition out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from shared.runtime.service import ServiceDefinition, Wiring
from shared.unit_of_work import UnitOfWork
from services.feedback import entrypoint, events
from services.feedback.handlers import DEFAULT_REMINDER_INTERVAL, Deps, Reminders, utc_now
from services.feedback.projections import SQL, FeedbackTables

# Reminders come days apart; looking for due ones every quarter of an hour sends each close to its time.
REMINDER_CHECK_SECONDS = 15 * 60


def wire(w: Wiring, *, reminder_interval: dt.timedelta, check_every_seconds: float,
         clock: Callable[[], dt.datetime]) -> None:
    tables = FeedbackTables(w.schema, w.pool)
    deps = Deps(uow=UnitOfWork(w.store, w.pool, tables), store=w.store, view=tables, now=clock)
    w.publishes(events)
    entrypoint.wire(w, deps, Reminders(deps, reminder_interval), check_every_seconds)


def definition(*, reminder_interval: dt.timedelta = DEFAULT_REMINDER_INTERVAL,
               check_every_seconds: float = REMINDER_CHECK_SECONDS,
               clock: Callable[[], dt.datetime] = utc_now) -> ServiceDefinition:
    return ServiceDefinition(
        name="feedback",
        wire=partial(wire, reminder_interval=reminder_interval, check_every_seconds=check_every_seconds,
                     clock=clock),
        sql=(SQL,),
        consumes=("orders", "registry"),
        description="The expert's self-assessment and the orderer's feedback of each delivered engagement, "
                    "reminders, and the follow-up and evaluation report",
    )

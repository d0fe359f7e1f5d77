"""The feedback service, described: what it publishes, answers and consumes, its reminder job, and its
composition root."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from services.feedback import events
from services.feedback.handlers import COMMANDS, CONSUMES, QUERIES, send_reminders
from services.feedback.projections import SQLS, FeedbackTables
from services.feedback.views import FeedbackViews
from shared.clock import Clock
from shared.definition import Job, ServiceDefinition, ServiceDeps
from shared.events import events_in
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork

DEFAULT_REMINDER_INTERVAL = dt.timedelta(days=3)
# Reminders come days apart; looking for due ones every quarter of an hour sends each close to its time.
REMINDER_CHECK_SECONDS = 15 * 60


@dataclass
class Deps(ServiceDeps[FeedbackViews]):
    reminder_interval: dt.timedelta = DEFAULT_REMINDER_INTERVAL


def compose(uow: UnitOfWork, views: FeedbackViews, settings: Settings | None = None, requester: Any = None,
            clock: Clock | None = None, reminder_interval: dt.timedelta = DEFAULT_REMINDER_INTERVAL) -> Deps:
    return Deps(uow=uow, views=views, clock=clock or Clock(), reminder_interval=reminder_interval)


def definition(*, reminder_interval: dt.timedelta = DEFAULT_REMINDER_INTERVAL,
               check_every_seconds: float = REMINDER_CHECK_SECONDS, clock: Clock | None = None
               ) -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="feedback",
        description="The expert's self-assessment and the orderer's feedback of each delivered engagement, "
                    "reminders, and the follow-up and evaluation report",
        events=events_in(events),
        views=FeedbackTables,
        compose=partial(compose, clock=clock, reminder_interval=reminder_interval),
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("send_reminders", send_reminders, every_seconds=check_every_seconds),),
        sql=SQLS,
    )

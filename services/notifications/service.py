"""The notifications service, described: what it publishes, answers and consumes, its sending job, and its
composition root.

It tells people that something waits for them (an offer, a contract to sign, a feedback form…) by e-mail or
text message, in their language, with a link to the page: never what the task is about, nor a fee.

**The least data.** The other services seal a person's e-mail and phone with keys of their own, and this
service is not given them: it keeps a contact book of its own, filled by each person (or, for an expert, by a
coordinator) through ``set_contact``, keyed by the id the events already use for the person (their
verified identity's). So it holds only the address of those who asked to be told, only the channel they
chose and their language, sealed with the person's key in its own events; ``forget_contact`` (or the expert's
erasure in the registry) shreds that key. The messages themselves are recorded with the person's id, the
kind and the page only: the text is made when sending and the address read then, so neither is stored twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import ValidationError

from services.notifications import events
from services.notifications.channels import Sender, SmsGatewaySender, SmtpSender
from services.notifications.credentials import remind_expiring_credentials
from services.notifications.domain.notification import Backoff
from services.notifications.events import Channel
from services.notifications.handlers import COMMANDS, CONSUMES, QUERIES
from services.notifications.offers import remind_expiring_offers
from services.notifications.projections import SQL, NotificationTables
from services.notifications.sending import send_due
from services.notifications.settings import NotifySettings
from services.notifications.views import NotificationViews
from shared.clock import Clock
from shared.definition import Job, ServiceDefinition, ServiceDeps
from shared.events import events_in
from shared.settings import Settings, SettingsError
from shared.unit_of_work import UnitOfWork


@dataclass
class Deps(ServiceDeps[NotificationViews]):
    senders: Mapping[Channel, Sender] = field(default_factory=dict)
    base_url: str = "http://127.0.0.1:8000"
    backoff: Backoff = field(default_factory=Backoff)
    offer_warning: dt.timedelta = dt.timedelta(hours=24)
    credentials_warning: dt.timedelta = dt.timedelta(days=14)


def senders_of(notify: NotifySettings) -> dict[Channel, Sender]:
    return {Channel.email: SmtpSender(notify), Channel.sms: SmsGatewaySender(notify)}


def compose(uow: UnitOfWork, views: NotificationViews, settings: Settings | None = None, requester: Any = None,
            clock: Clock | None = None, notify: NotifySettings | None = None,
            senders: Mapping[Channel, Sender] | None = None) -> Deps:
    notify = notify or load_notify_settings()
    backoff = Backoff(first=dt.timedelta(seconds=notify.retry_first_seconds),
                      attempts=notify.max_attempts)
    return Deps(uow=uow, views=views, clock=clock or Clock(), senders=senders or senders_of(notify),
                base_url=notify.web_base_url, backoff=backoff,
                offer_warning=dt.timedelta(hours=notify.offer_warning_hours),
                credentials_warning=dt.timedelta(days=notify.credentials_warning_days))


def load_notify_settings() -> NotifySettings:
    try:
        return NotifySettings()
    except ValidationError as error:
        problems = "; ".join(f"KOKEMUS_NOTIFY_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                             for e in error.errors())
        raise SettingsError(f"Invalid notification settings: {problems}") from None


def definition(*, notify: NotifySettings | None = None, senders: Mapping[Channel, Sender] | None = None,
               clock: Clock | None = None) -> ServiceDefinition[Deps, Any]:
    notify = notify or load_notify_settings()
    return ServiceDefinition(
        name="notifications",
        description="Tells people by e-mail or text message that an offer, a contract, a form or a decision "
                    "waits for them: their contact book, preferences, and every message's delivery",
        events=events_in(events),
        views=NotificationTables,
        compose=partial(compose, clock=clock, notify=notify, senders=senders),
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("send_notifications", send_due, every_seconds=notify.send_every_seconds),
              Job("remind_expiring_offers", remind_expiring_offers, every_seconds=notify.deadline_check_seconds),
              Job("remind_expiring_credentials", remind_expiring_credentials,
                  every_seconds=notify.deadline_check_seconds)),
        sql=(SQL,),
    )

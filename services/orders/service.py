"""The orders service, described: what it publishes, answers and consumes, its job, and its composition root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from services.orders import events
from services.orders.handlers import (
    COMMANDS,
    CONSUMES,
    QUERIES,
    check_county_agreements,
    close_unanswered,
    expire_offers,
)
from services.orders.projections import SQL, OrdersTables
from services.orders.views import OrdersViews
from shared.clock import Clock
from shared.definition import Job, ServiceDefinition, ServiceDeps
from shared.events import events_in
from shared.messaging.rpc import Requester
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork

# Offers expire by the day; looking for expired ones every minute ends each close to its time. The same look
# closes engagements whose feedback forms' answer period has ended, and flags those whose county agreement lapsed.
OFFER_EXPIRY_SECONDS = 60.0
EXPERTS_AWAY = "registry.query.experts_away"  # asked in the name of whoever makes an offer or ranks candidates

@dataclass
class Deps(ServiceDeps[OrdersViews]):
    """The orders service's: its views, and a requester that asks the registry in the caller's name (None
    composed without a bus: nothing is asked, and no date away is known)."""

    requester: Requester | None = None


def compose(uow: UnitOfWork, views: OrdersViews, settings: Settings | None = None,
            requester: Requester | None = None, clock: Clock | None = None) -> Deps:
    return Deps(uow=uow, views=views, clock=clock or Clock(), requester=requester)


def definition(*, check_every_seconds: float = OFFER_EXPIRY_SECONDS, clock: Clock | None = None
               ) -> ServiceDefinition[Deps, Any]:
    """The service; tests pass a clock they move and a shorter interval between the job's runs."""
    return ServiceDefinition(
        name="orders",
        description="Orders, offers and engagements: from an accepted offer to a closed engagement",
        events=events_in(events),
        views=OrdersTables,
        compose=partial(compose, clock=clock),
        commands=COMMANDS,
        queries=QUERIES,
        consumes=CONSUMES,
        jobs=(Job("expire_offers", expire_offers, every_seconds=check_every_seconds),
              Job("close_unanswered", close_unanswered, every_seconds=check_every_seconds),
              Job("check_county_agreements", check_county_agreements, every_seconds=check_every_seconds)),
        calls=(EXPERTS_AWAY,),
        sql=(SQL,),
    )

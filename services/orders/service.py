"""The orders service, described: what it publishes, answers and consumes, its job, and its composition root."""

from __future__ import annotations

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
from shared.definition import Job, ServiceDefinition, ServiceDeps, compose
from shared.events import events_in

# Offers expire by the day; looking for expired ones every minute ends each close to its time. The same look
# closes engagements whose feedback forms' answer period has ended, and flags those whose county agreement lapsed.
OFFER_EXPIRY_SECONDS = 60.0

Deps = ServiceDeps[OrdersViews]


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
        sql=(SQL,),
    )

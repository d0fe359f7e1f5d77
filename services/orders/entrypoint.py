"""The orders service on the bus: each command and query of handlers.py at ``kokemus.orders.{cmd,query}.<name>``,
its consumers of the registry's, contracts' and feedback's events, and the offer-expiry job."""

from __future__ import annotations

from functools import partial

from shared.runtime.service import Wiring
from services.orders.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, expire_offers

OFFER_EXPIRY_SECONDS = 60.0


def wire(w: Wiring, deps: Deps) -> None:
    for name, (request, handler) in COMMANDS.items():
        w.command(name, request, partial(handler, deps=deps))
    for name, (request, handler) in QUERIES.items():
        w.query(name, request, partial(handler, deps=deps))
    for source, handlers in EVENT_HANDLERS.items():
        w.consume(source, {event_type: partial(handler, deps=deps) for event_type, handler in handlers.items()})
    w.every(OFFER_EXPIRY_SECONDS, partial(expire_offers, deps=deps))

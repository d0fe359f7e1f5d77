"""The orders service on the bus: each command and query of handlers.py at ``kokemus.orders.{cmd,query}.<name>``,
its consumers of the registry's, contracts' and feedback's events, and the offer-expiry job."""

from __future__ import annotations

from functools import partial

from shared.runtime.service import Wiring
from services.orders.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, expire_offers

OFFER_EXPIRY_SECONDS = 60.0


def wire(w: Wiring, deps: Deps) -> None:
    w.serve(deps, commands=COMMANDS, queries=QUERIES, event_handlers=EVENT_HANDLERS)
    w.every(OFFER_EXPIRY_SECONDS, partial(expire_offers, deps=deps))

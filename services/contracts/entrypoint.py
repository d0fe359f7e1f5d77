"""The contracts service on the bus: each command and query of handlers.py at
``kokemus.contracts.{cmd,query}.<name>``, its reactions to the orders service's events, and the seeding of
the default rate table at start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any

from shared.runtime.service import Wiring
from services.contracts.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, seed_default_rate_table

log = logging.getLogger(__name__)


def _bound(handler: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    # Keep the handler's docstring: the AsyncAPI document describes each endpoint with it.
    return update_wrapper(partial(handler, deps=deps), handler)


def wire(w: Wiring, deps: Deps) -> None:
    for name, (request, handler) in COMMANDS.items():
        w.command(name, request, _bound(handler, deps))
    for name, (request, handler) in QUERIES.items():
        w.query(name, request, _bound(handler, deps))
    w.consume("orders", {name: _bound(handler, deps) for name, handler in EVENT_HANDLERS.items()})

    async def seed_at_start() -> None:
        # Once, not every tick: drafting a contract seeds too, should this fail or come late.
        try:
            if await seed_default_rate_table(deps):
                log.info("published the default rate table")
        except Exception:  # noqa: BLE001 - logged; the service runs on and seeds when it drafts
            log.exception("could not seed the default rate table")

    w.background.append(seed_at_start)

"""The contracts service on the bus: each command and query of handlers.py at
``kokemus.contracts.{cmd,query}.<name>``, its reactions to the orders service's events, and the seeding of
the default rate table at start."""

from __future__ import annotations

import logging
from shared.runtime.service import Wiring
from services.contracts.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, seed_default_rate_table

log = logging.getLogger(__name__)


def wire(w: Wiring, deps: Deps) -> None:
    w.serve(deps, commands=COMMANDS, queries=QUERIES, event_handlers={"orders": EVENT_HANDLERS})

    async def seed_at_start() -> None:
        # Once, not every tick: drafting a contract seeds too, should this fail or come late.
        try:
            if await seed_default_rate_table(deps):
                log.info("published the default rate table")
        except Exception:  # noqa: BLE001 - logged; the service runs on and seeds when it drafts
            log.exception("could not seed the default rate table")

    w.at_start(seed_at_start)

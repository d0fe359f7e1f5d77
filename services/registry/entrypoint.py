"""The registry on the bus: each command and query of handlers.py at ``kokemus.registry.{cmd,query}.<name>``."""

from __future__ import annotations

from functools import partial

from shared.runtime.service import Wiring
from services.registry.handlers import COMMANDS, QUERIES, Deps


def wire(w: Wiring, deps: Deps) -> None:
    for name, (request, handler) in COMMANDS.items():
        w.command(name, request, partial(handler, deps=deps))
    for name, (request, handler) in QUERIES.items():
        w.query(name, request, partial(handler, deps=deps))

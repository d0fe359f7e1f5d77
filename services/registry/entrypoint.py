"""The registry on the bus: each command and query of handlers.py at ``kokemus.registry.{cmd,query}.<name>``."""

from __future__ import annotations

from shared.runtime.service import Wiring
from services.registry.handlers import COMMANDS, QUERIES, Deps


def wire(w: Wiring, deps: Deps) -> None:
    w.serve(deps, commands=COMMANDS, queries=QUERIES)

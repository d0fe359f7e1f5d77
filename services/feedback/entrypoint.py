"""The feedback service on the bus: each command and query of handlers.py at
``kokemus.feedback.{cmd,query}.<name>``, its consumers of the orders and registry streams, and the reminder job."""

from __future__ import annotations


from shared.runtime.service import Wiring
from services.feedback.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, Reminders


def wire(w: Wiring, deps: Deps, reminders: Reminders, check_every_seconds: float) -> None:
    w.serve(deps, commands=COMMANDS, queries=QUERIES, event_handlers=EVENT_HANDLERS)
    w.every(check_every_seconds, reminders.run_once)

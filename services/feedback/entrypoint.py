"""The feedback service on the bus: each command and query of handlers.py at
``kokemus.feedback.{cmd,query}.<name>``, its consumers of the orders and registry streams, and the reminder job."""

from __future__ import annotations

from functools import partial

from shared.runtime.service import Wiring
from services.feedback.handlers import COMMANDS, EVENT_HANDLERS, QUERIES, Deps, Reminders


def wire(w: Wiring, deps: Deps, reminders: Reminders, check_every_seconds: float) -> None:
    for name, (request, handler) in COMMANDS.items():
        w.command(name, request, partial(handler, deps=deps))
    for name, (request, handler) in QUERIES.items():
        w.query(name, request, partial(handler, deps=deps))
    for source, handlers in EVENT_HANDLERS.items():
        w.consume(source, {event_type: partial(handler, deps=deps) for event_type, handler in handlers.items()})
    w.every(check_every_seconds, reminders.run_once)

"""Calling handlers in unit tests the way the runtime calls them: a command in a transaction of its own with
its caller in the context, a query with its caller, a consumed event in a transaction with its cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.clock import Clock
from shared.commands import Command
from shared.envelope import Envelope
from shared.events import Actor
from shared.handling import CommandContext, EventContext, QueryContext


async def call(handler: Any, request: Any, actor: Actor, deps: Any) -> Any:
    if isinstance(request, Command):
        async with deps.uow.begin() as session:
            return await handler(request, CommandContext(actor, session, request.command_id), deps)
    return await handler(request, QueryContext(actor), deps)


async def consume(handler: Any, event: Envelope[Any], deps: Any) -> None:
    async with deps.uow.begin() as session:
        await handler(event, EventContext(session, event), deps)


def fixed_clock(moment: dt.datetime | dt.date) -> Clock:
    """A clock that stands still: at noon (Finnish time) on a date, or at the given instant."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12), dt.timezone(dt.timedelta(hours=2)))
    return Clock(lambda: moment)

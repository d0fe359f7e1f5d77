"""Calling handlers in unit tests the way the runtime calls them: a command in a transaction of its own with
its caller in the context, a query with its caller, a consumed event in a transaction with its cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.clock import Clock
from shared.commands import Command
from shared.envelope import Envelope
from shared.events import SYSTEM, Actor, DomainEvent, NewEvent
from shared.handling import CommandContext, EventContext, QueryContext


async def call(handler: Any, request: Any, actor: Actor, deps: Any, token: str | None = None) -> Any:
    """``token``: the caller's token as the runtime would relay it (for asking another service in their name)."""
    if isinstance(request, Command):
        async with deps.uow.begin() as session:
            return await handler(request, CommandContext(actor, session, request.command_id, token=token), deps)
    return await handler(request, QueryContext(actor, token=token), deps)


async def consume(handler: Any, event: Envelope[Any], deps: Any) -> None:
    async with deps.uow.begin() as session:
        await handler(event, EventContext(session, event), deps)


async def hand_over(consumes: Any, deps: Any, store: Any, payload: DomainEvent, stream_id: str, *,
                    engagement_id: Any = None, subject_id: str | None = None, actor: Actor = SYSTEM) -> Envelope[Any]:
    """Record ``payload`` in another service's (in-memory) store and hand it to the handler the consuming service's
    table ``consumes`` names for it, as its consumer does; the recorded event is returned."""
    version = len(await store.read_stream(stream_id))
    [event] = await store.append(stream_id, version, [
        NewEvent(payload=payload, actor=actor, engagement_id=engagement_id, subject_id=subject_id)])
    handler = {cls.event_type(): handler for cls, handler in consumes[store.service].items()}[event.event_type]
    await consume(handler, event, deps)
    return event


def fixed_clock(moment: dt.datetime | dt.date) -> Clock:
    """A clock that stands still: at noon (Finnish time) on a date, or at the given instant."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12), dt.timezone(dt.timedelta(hours=2)))
    return Clock(lambda: moment)

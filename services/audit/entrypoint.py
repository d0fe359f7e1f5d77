"""The audit on the bus: its queries at ``kokemus.audit.query.<name>``, and a consumer on each source's stream.

The audit keeps each event exactly as it was published (sealed personal fields and all, or the source's
hashes could not be checked again): its handlers take the published envelope the consumer hands over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.events import RecordedEvent
from shared.messaging.consumer import HandlerContext
from shared.runtime.service import Wiring
from services.audit.handlers import EVENT_HANDLERS, QUERIES, Deps

EnvelopeHandler = Callable[[dict[str, Any], Any, Deps], Awaitable[None]]


def wire(w: Wiring, deps: Deps) -> None:
    w.serve(deps, queries=QUERIES)
    for source, event_handler in EVENT_HANDLERS.items():
        w.consume(source, {}, handle_all=_with_envelope(event_handler, deps))


def _with_envelope(handler: EnvelopeHandler, deps: Deps) -> Callable[[RecordedEvent, HandlerContext], Awaitable[None]]:
    async def handle(event: RecordedEvent, ctx: HandlerContext) -> None:
        await handler(ctx.envelope, ctx.connection, deps)

    return handle

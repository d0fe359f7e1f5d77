"""The audit on the bus: its queries at ``kokemus.audit.query.<name>``, and a consumer on each source's stream.

The audit must keep each event exactly as it was published (sealed personal fields and all, or the source's
hashes could not be checked again), but the kernel hands an event handler only the decoded event. So each
audit consumer notes the message it is processing, and the handler adapter reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

from shared.events import RecordedEvent
from shared.messaging.consumer import HandlerContext, IdempotentConsumer
from shared.runtime.service import Wiring
from services.audit.handlers import EVENT_HANDLERS, QUERIES, Deps

_received: ContextVar[dict[str, Any]] = ContextVar("audit_received_envelope")

EnvelopeHandler = Callable[[dict[str, Any], Any, Deps], Awaitable[None]]


def wire(w: Wiring, deps: Deps) -> None:
    for name, (request, handler) in QUERIES.items():
        w.query(name, request, partial(handler, deps=deps))
    for source, event_handler in EVENT_HANDLERS.items():
        w.consume(source, {}, handle_all=_with_envelope(event_handler, deps))
        _keep_envelopes(w.consumers[source])


def _keep_envelopes(consumer: IdempotentConsumer) -> None:
    """Note each message's envelope while the consumer processes it (also when replaying a dead letter)."""
    process = consumer.process

    async def process_noting_envelope(body: bytes) -> bool:
        token = _received.set(json.loads(body))
        try:
            return await process(body)
        finally:
            _received.reset(token)

    consumer.process = process_noting_envelope  # type: ignore[method-assign]


def _with_envelope(handler: EnvelopeHandler, deps: Deps) -> Callable[[RecordedEvent, HandlerContext], Awaitable[None]]:
    async def handle(event: RecordedEvent, ctx: HandlerContext) -> None:
        await handler(_received.get(), ctx.connection, deps)

    return handle

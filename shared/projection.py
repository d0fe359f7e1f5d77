"""Read tables kept from events: a projection has one ``on_<EventType>`` method per event it follows.

The same class serves a service's own events (called inside the recording transaction) and another
service's events (called by an idempotent consumer inside the consuming transaction).
"""

from __future__ import annotations

from typing import Any

from shared.events import RecordedEvent


class Projection:
    def __init__(self, schema: str) -> None:
        self.schema = schema

    def follows(self) -> set[str]:
        return {name[3:] for name in dir(self) if name.startswith("on_")}

    async def __call__(self, event: RecordedEvent, conn: Any) -> None:
        method = getattr(self, f"on_{event.event_type}", None)
        if method is not None:
            await method(event.payload, conn, event)

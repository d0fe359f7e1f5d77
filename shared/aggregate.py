"""Aggregates, and the metadata their new events are recorded with.

An aggregate is rebuilt from its stream, checks its rules when asked to change, and records new events; it
knows nothing of databases or brokers. The unit of work (:mod:`shared.unit_of_work`) loads and saves it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from shared.events import Actor, DomainEvent


class Aggregate:
    """Base for aggregates: ``when_<EventType>`` methods apply an event to the state."""

    stream_prefix: ClassVar[str]

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self.pending: list[DomainEvent] = []

    @classmethod
    def stream_id(cls, aggregate_id: str | uuid.UUID) -> str:
        return f"{cls.stream_prefix}-{aggregate_id}"

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self.pending)

    def apply(self, event: DomainEvent) -> None:
        method = getattr(self, f"when_{type(event).__name__}", None)
        if method is not None:
            method(event)

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.pending.append(event)

    def subject_of(self, event: DomainEvent) -> str | None:
        """Whose personal data ``event`` holds, when the aggregate knows better than the command's metadata
        (an order's own events are its orderer's, an offer's answer its expert's); None: the metadata's."""
        return None


@dataclass(frozen=True)
class Metadata:
    """Who asks, and what the new events belong to and follow from."""

    actor: Actor
    command_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    engagement_id: uuid.UUID | None = None
    subject_id: str | None = None

    def event_ids(self, stream_id: str, count: int) -> list[uuid.UUID]:
        """Event ids derived from the command (or causing event) and the stream: the same command, retried,
        names the same events, and the store records them once."""
        if self.command_id is None:
            return [uuid.uuid4() for _ in range(count)]
        return [uuid.uuid5(self.command_id, f"{stream_id}:{n}") for n in range(count)]

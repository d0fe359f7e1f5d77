"""Aggregates and the unit of work that loads and saves them.

An aggregate is rebuilt from its stream, checks its rules when asked to change, and records new events;
it knows nothing of databases or brokers. :func:`load` and :func:`save` are the only bridge to the store.
Saving appends with the version the aggregate was loaded at, so a concurrent change is a clean conflict,
and projects the new events into the service's own read tables in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.errors import NotFound
from shared.events import Actor, DomainEvent, NewEvent, RecordedEvent
from shared.eventstore.port import EventStore


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


@dataclass(frozen=True)
class Metadata:
    """Who asks, and what the new events belong to and follow from."""

    actor: Actor
    command_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    engagement_id: uuid.UUID | None = None
    subject_id: str | None = None

    @classmethod
    def caused_by(cls, event: RecordedEvent, actor: Actor, **overrides: Any) -> Metadata:
        """Metadata for events a handler records in reaction to ``event``."""
        values: dict[str, Any] = {
            "actor": actor,
            "command_id": event.event_id,
            "causation_id": event.event_id,
            "correlation_id": event.correlation_id or event.event_id,
            "engagement_id": event.engagement_id,
        }
        values.update(overrides)
        return cls(**values)


Projector = Callable[[RecordedEvent, Any], Awaitable[None]]


async def load(store: EventStore, cls: type[Aggregate], aggregate_id: str, connection: Any = None, *,
               must_exist: bool = True, what: str | None = None) -> Any:
    aggregate = cls(aggregate_id)
    for event in await store.read_stream(cls.stream_id(aggregate_id), connection=connection):
        aggregate.apply(event.payload)  # type: ignore[arg-type]
        aggregate.version = event.version
    if must_exist and aggregate.version == 0:
        raise NotFound(f"no {what or cls.__name__.lower()} {aggregate_id}")
    return aggregate


def event_ids(meta: Metadata, stream_id: str, count: int) -> list[uuid.UUID]:
    """Event ids derived from the command (or causing event) and the stream: the same command, retried,
    names the same events, and the store records them once."""
    if meta.command_id is None:
        return [uuid.uuid4() for _ in range(count)]
    return [uuid.uuid5(meta.command_id, f"{stream_id}:{n}") for n in range(count)]


async def save(store: EventStore, aggregate: Aggregate, meta: Metadata, connection: Any = None,
               project: Projector | None = None) -> list[RecordedEvent]:
    if not aggregate.pending:
        return []
    stream_id = aggregate.stream_id(aggregate.id)
    ids = event_ids(meta, stream_id, len(aggregate.pending))
    new = [
        NewEvent(
            payload=payload,
            actor=meta.actor,
            event_id=event_id,
            engagement_id=meta.engagement_id,
            causation_id=meta.causation_id or meta.command_id,
            correlation_id=meta.correlation_id or meta.command_id,
            subject_id=meta.subject_id,
        )
        for payload, event_id in zip(aggregate.pending, ids)
    ]
    recorded = await store.append(stream_id, aggregate.version, new, connection=connection)
    aggregate.version += len(recorded)
    aggregate.pending = []
    if project is not None:
        for event in recorded:
            await project(event, connection)
    return recorded


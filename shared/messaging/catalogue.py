"""The event catalogue: the published form of each event, for the AsyncAPI document and for subscribers.

On the bus an event is its envelope (metadata, hashes) with the payload inside. Personal fields travel
sealed as ``{"$encrypted": "…"}`` and read as erased for anyone but the owning service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import ModuleType

from pydantic import BaseModel, ConfigDict, create_model

from shared.events import Actor, DomainEvent


class EventMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    stream_id: str
    version: int
    position: int
    event_type: str
    schema_version: int
    recorded_at: dt.datetime
    engagement_id: uuid.UUID | None
    causation_id: uuid.UUID | None
    correlation_id: uuid.UUID | None
    subject_id: str | None
    actor: Actor
    trace: dict[str, str]
    service: str
    prev_hash: str
    hash: str


def event_classes(module: ModuleType) -> list[type[DomainEvent]]:
    return [
        value for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value is not DomainEvent
        and value.__module__ == module.__name__
    ]


def message_model(event: type[DomainEvent]) -> type[BaseModel]:
    return create_model(f"{event.__name__}Message", __base__=EventMessage, payload=(event, ...))

"""Events: the immutable facts every service records, and the envelope that carries their metadata.

A service declares its events as frozen pydantic models subclassing :class:`DomainEvent`, named in the past
tense. Each type is registered by its class name (unique across the system, so that another system can
tell them apart on the bus) with a schema version; older versions are lifted by :mod:`shared.upcasting`.

Fields holding personal data are annotated ``Personal``: they are stored encrypted with the data subject's
key and read as ``None`` once that key is shredded (see :mod:`shared.eventstore.crypto`).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict


class PersonalData:
    """Marker in ``Annotated`` metadata: this field is personal data of the event's data subject."""

    def __repr__(self) -> str:
        return "Personal"


PERSONAL = PersonalData()
Personal = Annotated[str | None, PERSONAL]


class Role(str, enum.Enum):
    coordinator = "coordinator"
    organization_contact = "organization_contact"
    expert = "expert"
    orderer = "orderer"
    auditor = "auditor"
    system = "system"


class Actor(BaseModel):
    """Who did it, in which role, for which organization."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    role: Role
    organization_id: str | None = None


SYSTEM = Actor(id="system", role=Role.system)


class DomainEvent(BaseModel):
    """Base of every event payload. Subclasses are registered by class name when defined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _register(cls)

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    @classmethod
    def personal_fields(cls) -> frozenset[str]:
        return _PERSONAL_FIELDS[cls]


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
_PERSONAL_FIELDS: dict[type[DomainEvent], frozenset[str]] = {}


def _register(cls: type[DomainEvent]) -> None:
    name = cls.__name__
    existing = _EVENT_TYPES.get(name)
    if existing is not None and existing.__module__ != cls.__module__:
        raise TypeError(f"event type {name} is defined twice: in {existing.__module__} and {cls.__module__}")
    _EVENT_TYPES[name] = cls
    _PERSONAL_FIELDS[cls] = frozenset(
        field_name
        for field_name, info in cls.model_fields.items()
        if any(isinstance(meta, PersonalData) for meta in info.metadata)
    )


def event_class(event_type: str) -> type[DomainEvent] | None:
    return _EVENT_TYPES.get(event_type)


def registered_event_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command or handler wants recorded, with the metadata the store cannot infer."""

    payload: DomainEvent
    actor: Actor
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    engagement_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    subject_id: str | None = None


class RecordedEvent(NamedTuple):
    """An event as the store holds it: payload plus everything the audit trail needs.

    A named tuple: immutable, and cheap to build, which matters when a reader walks the whole log.
    """

    event_id: uuid.UUID
    stream_id: str
    version: int
    position: int
    event_type: str
    schema_version: int
    recorded_at: datetime
    actor: Actor
    payload: DomainEvent | dict[str, Any]
    engagement_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    correlation_id: uuid.UUID | None = None
    subject_id: str | None = None
    trace: dict[str, str] = {}  # noqa: RUF012 - never mutated
    service: str = ""
    prev_hash: bytes = b""
    hash: bytes = b""
    erased_fields: tuple[str, ...] = ()

    @property
    def trace_id(self) -> str | None:
        parent = self.trace.get("traceparent")
        return parent.split("-")[1] if parent and parent.count("-") == 3 else None

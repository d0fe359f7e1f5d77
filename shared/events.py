"""Events: the immutable facts every service records, and who records them.

A service declares its events as frozen pydantic models subclassing :class:`DomainEvent`, named in the past
tense, in its ``events.py``. The class name is the event's type on the bus (unique across the system, so that
another system can tell them apart); ``schema_version`` says which form of the payload the class describes,
and older forms are lifted by upcasters declared beside the class (:mod:`shared.upcasting`).

Nothing here is registered globally: a service names the events it publishes and the events it consumes in
its definition, and a decoder is made from exactly those classes (:class:`EventTypes`).

Fields holding personal data are annotated ``Personal``: they are stored and published sealed with the data
subject's key and read as ``None`` once that key is shredded (see :mod:`shared.eventstore.crypto`).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict


class PersonalData:
    """Marker in ``Annotated`` metadata: this field is personal data of the event's data subject."""

    def __repr__(self) -> str:
        return "Personal"


PERSONAL = PersonalData()
Personal = Annotated[str | None, PERSONAL]
# The same for values that are not text: each travels sealed as its JSON (None once the key is shredded).
PersonalList = Annotated[list[str] | None, PERSONAL]
PersonalRatings = Annotated[dict[str, int] | None, PERSONAL]

Payload = dict[str, Any]


class Role(enum.StrEnum):
    coordinator = "coordinator"
    organization_contact = "organization_contact"
    expert = "expert"
    orderer = "orderer"
    auditor = "auditor"
    system = "system"  # a service acting on its own (a job, a reaction to an event, one service asking another)
    integration = "integration"  # another system, with an identity of its own
    anonymous = "anonymous"  # nobody yet: only the identity service's sign-in answers them


class Actor(BaseModel):
    """Who did it, in which role, for which organization.

    Part of every event's hashed envelope: adding a field here would change how old events hash.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    role: Role
    organization_id: str | None = None


SYSTEM = Actor(id="system", role=Role.system)
ANONYMOUS = Actor(id="anonymous", role=Role.anonymous)


class DomainEvent(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1
    # Upcasters of this type, by the version they lift from (see shared.upcasting).
    upcasters: ClassVar[dict[int, Callable[[Payload], Payload]]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.upcasters = {}

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    @classmethod
    def personal_fields(cls) -> frozenset[str]:
        return _personal_fields(cls)


@cache
def _personal_fields(cls: type[DomainEvent]) -> frozenset[str]:
    return frozenset(
        name for name, info in cls.model_fields.items() if any(isinstance(meta, PersonalData) for meta in info.metadata)
    )


def events_in(module: ModuleType) -> tuple[type[DomainEvent], ...]:
    """The event classes a module defines (a service's ``events.py``, or the modules of its ``events/`` package),
    in the order it defines (or imports) them."""
    own = (module.__name__, f"{module.__name__}.")
    return tuple(
        value for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value is not DomainEvent
        and (value.__module__ == own[0] or value.__module__.startswith(own[1]))
    )


class EventTypes:
    """The event classes one decoder knows, by type name: a store's own events, a consumer's sources'."""

    def __init__(self, classes: Iterable[type[DomainEvent]] = ()) -> None:
        self._by_name: dict[str, type[DomainEvent]] = {}
        for cls in classes:
            existing = self._by_name.setdefault(cls.event_type(), cls)
            if existing is not cls:
                raise TypeError(f"two event classes are called {cls.event_type()}: "
                                f"{existing.__module__} and {cls.__module__}")

    def get(self, event_type: str) -> type[DomainEvent] | None:
        return self._by_name.get(event_type)

    def __iter__(self) -> Iterator[type[DomainEvent]]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


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

"""The envelope: an event with everything the audit trail needs. The one place its fields are defined.

The same model is the row of a service's event table (``Column`` says each field's SQL type), the JSON
published on the bus, the schema in the AsyncAPI documents, and the content of the hash chain (every field
but the chain itself and the ``UNHASHED`` bookkeeping). ``Envelope[Payload]`` is the published form, its
personal fields sealed; ``Envelope[SomeEvent]`` is the same event opened and typed, as handlers get it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    create_model,
)

from shared.events import Actor, DomainEvent, Payload, PersonalData


@dataclass(frozen=True)
class Column:
    """The field's column in the event table, as SQL."""

    sql: str


class _Unhashed:
    def __repr__(self) -> str:
        return "UNHASHED"


class _Chain:
    def __repr__(self) -> str:
        return "CHAIN"


UNHASHED = _Unhashed()  # bookkeeping of the store or the bus: outside the hash
CHAIN = _Chain()  # the chain's own links


def _bytes(value: Any) -> Any:
    if isinstance(value, str):
        return bytes.fromhex(value)
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value


def _hex(value: bytes) -> str:
    return value.hex()


def _isoformat(value: dt.datetime) -> str:
    # Python's form (+00:00), as the chain has hashed it from the start; pydantic's own would say Z.
    return value.isoformat()


Digest = Annotated[
    bytes, BeforeValidator(_bytes), PlainSerializer(_hex, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
]
Timestamp = Annotated[AwareDatetime, PlainSerializer(_isoformat, return_type=str, when_used="json")]

P = TypeVar("P")


class Envelope(BaseModel, Generic[P]):
    """One recorded event: its place in its stream, its metadata, its payload and its link in the chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Annotated[uuid.UUID, Column("uuid NOT NULL UNIQUE")]
    stream_id: Annotated[str, Column("text NOT NULL")]
    version: Annotated[int, Column("integer NOT NULL CHECK (version > 0)")]
    event_type: Annotated[str, Column("text NOT NULL")]
    schema_version: Annotated[int, Column("integer NOT NULL")]
    recorded_at: Annotated[Timestamp, Column("timestamptz NOT NULL")]
    engagement_id: Annotated[uuid.UUID | None, Column("uuid")]
    causation_id: Annotated[uuid.UUID | None, Column("uuid")]
    correlation_id: Annotated[uuid.UUID | None, Column("uuid")]
    subject_id: Annotated[str | None, Column("text")]  # whose key seals the personal fields
    actor: Annotated[Actor, Column("jsonb NOT NULL")]
    trace: Annotated[dict[str, str], Column("jsonb NOT NULL")]  # W3C trace context of the recording command
    payload: Annotated[P, Column("jsonb NOT NULL")]
    prev_hash: Annotated[Digest, Column("bytea NOT NULL"), CHAIN]
    hash: Annotated[Digest, Column("bytea NOT NULL"), CHAIN]
    position: Annotated[int, Column("bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"), UNHASHED] = 0
    service: Annotated[str, UNHASHED] = ""  # which service's store: the stream on the bus says it too

    _erased: tuple[str, ...] = PrivateAttr(default=())

    @property
    def erased_fields(self) -> tuple[str, ...]:
        """Personal fields that read as None because the subject's key was shredded."""
        return self._erased

    @property
    def trace_id(self) -> str | None:
        parent = self.trace.get("traceparent")
        return parent.split("-")[1] if parent and parent.count("-") == 3 else None


Published = Envelope[Payload]  # as stored and published: personal fields sealed
RecordedEvent = Envelope[DomainEvent]  # opened: the payload typed, personal fields readable or None


def _has(info: Any, marker: object) -> bool:
    return any(meta is marker for meta in info.metadata)


HASHED_FIELDS: tuple[str, ...] = tuple(
    name for name, info in Envelope.model_fields.items() if not (_has(info, UNHASHED) or _has(info, CHAIN))
)
COLUMNS: dict[str, str] = {
    name: meta.sql for name, info in Envelope.model_fields.items() for meta in info.metadata
    if isinstance(meta, Column)
}
JSON_COLUMNS: tuple[str, ...] = tuple(name for name, sql in COLUMNS.items() if sql.startswith("jsonb"))
_FIELDS = frozenset(Envelope.model_fields)


@cache
def envelope_of(payload: Any) -> type[Envelope[Any]]:
    """``Envelope[payload]``: pydantic looks a parametrized class up anew each time it is written (~9 µs)."""
    return Envelope[payload]


def assemble(cls: type[Envelope[Any]], fields: dict[str, Any]) -> Envelope[Any]:
    """An envelope of ``cls`` from values the store already validated (every field given), without validating:
    what ``model_construct`` makes, at a tenth of its cost, which reading a long log pays once per event
    (tests/unit/test_envelope_assembly.py holds the two alike). ``fields`` becomes the envelope's own."""
    if fields.keys() != _FIELDS:
        return cls.model_construct(**fields)
    envelope = cls.__new__(cls)
    object.__setattr__(envelope, "__dict__", fields)
    object.__setattr__(envelope, "__pydantic_fields_set__", set(fields))
    object.__setattr__(envelope, "__pydantic_extra__", None)
    object.__setattr__(envelope, "__pydantic_private__", {"_erased": ()})
    return envelope


_HASHED = set(HASHED_FIELDS)


def hashed_content(envelope: Envelope[Any]) -> Payload:
    """The JSON form of everything the chain covers."""
    return envelope.model_dump(mode="json", include=_HASHED)


# -- what travels in a personal field ---------------------------------------------------------------------

class Sealed(BaseModel):
    """A personal field on the bus: AES-256-GCM ciphertext, base64, only the owning service can open it.
    Once the subject is erased its key is gone and the field can never be opened again."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    encrypted: str = Field(alias="$encrypted", pattern=r"^[A-Za-z0-9+/]+=*$")


@cache
def published_payload(event: type[DomainEvent]) -> type[BaseModel]:
    """The payload model of ``event`` as it travels: each personal field sealed (or null when empty)."""
    fields: dict[str, Any] = {}
    for name, info in event.model_fields.items():
        if any(isinstance(meta, PersonalData) for meta in info.metadata):
            fields[name] = (Sealed | None, None)
        else:
            fields[name] = (info.annotation, info)
    return create_model(f"{event.__name__}Payload", __config__=ConfigDict(extra="forbid"),
                        __doc__=event.__doc__, **fields)


@cache
def published_message(event: type[DomainEvent]) -> type[BaseModel]:
    """The whole published message of ``event``, envelope and sealed payload, for the AsyncAPI documents."""
    payload = published_payload(event)
    name = event.event_type()
    return create_model(f"{event.__name__}Message", __base__=Envelope[payload],  # type: ignore[valid-type]
                        __doc__=event.__doc__, event_type=(Literal[name], ...))  # type: ignore[arg-type]

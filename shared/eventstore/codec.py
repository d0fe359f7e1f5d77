"""Between events and envelopes: sealing personal fields, chaining hashes, opening, upcasting, verifying.

Both store implementations and every consumer use these functions, so an envelope means the same thing
wherever it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from shared.envelope import Envelope, Published, RecordedEvent, assemble, envelope_of, hashed_content
from shared.events import DomainEvent, EventTypes, NewEvent
from shared.eventstore import chain
from shared.eventstore.crypto import decrypt_fields, encrypt_fields, is_encrypted
from shared.eventstore.port import ChainBreak, VerifyReport
from shared.upcasting import upcast

E = TypeVar("E", bound=DomainEvent)


def seal(
    stream_id: str,
    first_version: int,
    prev_hash: bytes,
    events: Sequence[NewEvent],
    keys: dict[str, bytes],
    trace: dict[str, str],
    *,
    service: str,
    recorded_at: datetime | None = None,
) -> list[Published]:
    """Turn new events into chained envelopes; ``keys`` holds the key of every subject with personal fields."""
    now = recorded_at or datetime.now(UTC)
    sealed: list[Published] = []
    for offset, event in enumerate(events):
        payload = event.payload.model_dump(mode="json")
        personal = event.payload.personal_fields()
        if personal and event.subject_id is not None:
            payload = encrypt_fields(payload, personal, keys[event.subject_id], str(event.event_id))
        elif any(payload.get(name) is not None for name in personal):
            held = sorted(name for name in personal if payload.get(name) is not None)
            raise ValueError(f"{event.payload.event_type()} holds personal data ({', '.join(held)}) but names no "
                             "data subject whose key would seal it: it would be recorded in clear")
        envelope = assemble(Published, dict(
            event_id=event.event_id, stream_id=stream_id, version=first_version + offset,
            event_type=event.payload.event_type(), schema_version=event.payload.schema_version,
            recorded_at=now, engagement_id=event.engagement_id, causation_id=event.causation_id,
            correlation_id=event.correlation_id, subject_id=event.subject_id, actor=event.actor, trace=trace,
            payload=payload, prev_hash=prev_hash, hash=b"", position=0, service=service,
        ))
        prev_hash = chain.link(prev_hash, hashed_content(envelope))
        sealed.append(envelope.model_copy(update={"hash": prev_hash}))
    return sealed


def needs_key(event: NewEvent) -> bool:
    return event.subject_id is not None and bool(event.payload.personal_fields())


def is_sealed(envelope: Published) -> bool:
    return any(is_encrypted(value) for value in envelope.payload.values())


def open_as(envelope: Published, cls: type[E], key: bytes | None) -> Envelope[E]:
    """The event typed as ``cls`` at its current schema version; personal fields opened with ``key``, or
    None (and named in ``erased_fields``) without it."""
    payload, erased = decrypt_fields(envelope.payload, key, str(envelope.event_id))
    payload = upcast(cls, envelope.schema_version, payload)
    opened = _typed(envelope, cls.model_validate(payload), cls)
    opened._erased = erased
    return opened


def open_event(envelope: Published, types: EventTypes, key: bytes | None) -> RecordedEvent:
    """The event typed by ``types``, which must know it: a store knows every type its service records."""
    cls = types.get(envelope.event_type)
    if cls is None:
        raise LookupError(
            f"event {envelope.event_id} is a {envelope.event_type}, which {envelope.service or 'this store'} "
            "does not declare among its events"
        )
    return open_as(envelope, cls, key)


def just_recorded(envelope: Published, event: NewEvent) -> RecordedEvent:
    """The opened form of an event this process has just sealed: no need to decrypt or validate again."""
    return _typed(envelope, event.payload, type(event.payload))


def _typed(envelope: Published, payload: E, cls: type[E]) -> Envelope[E]:
    fields = envelope.__dict__.copy()
    fields["payload"] = payload
    fields["schema_version"] = cls.schema_version
    return assemble(envelope_of(cls), fields)


def verify_stream_order(envelopes: Iterable[Published], report: VerifyReport) -> None:
    """Walk envelopes ordered by stream and version; record the first break of each stream in ``report``."""
    stream: str | None = None
    expected_prev = chain.GENESIS
    expected_version = 1
    broken = False
    for envelope in envelopes:
        if envelope.stream_id != stream:
            stream, expected_prev, expected_version, broken = envelope.stream_id, chain.GENESIS, 1, False
            report.streams_checked += 1
        report.events_checked += 1
        if broken:
            continue
        reason = None
        if envelope.version != expected_version:
            reason = f"version {envelope.version} where {expected_version} was expected (a row is missing)"
        elif envelope.prev_hash != expected_prev:
            reason = "its link to the previous event does not match (a row was removed or reordered)"
        elif chain.link(envelope.prev_hash, hashed_content(envelope)) != envelope.hash:
            reason = "its content does not match its hash (the row was changed)"
        if reason is not None:
            report.breaks.append(ChainBreak(envelope.stream_id, envelope.version, str(envelope.event_id),
                                            envelope.position or None, reason))
            broken = True
            continue
        expected_prev = envelope.hash
        expected_version += 1

"""Between events and stored rows: sealing personal fields, chaining hashes, upcasting and decoding.

Both store implementations use these functions, so a row means the same thing in either.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.eventstore import chain
from shared.eventstore.crypto import decrypt_fields, encrypt_fields
from shared.eventstore.port import ChainBreak
from shared.events import Actor, NewEvent, RecordedEvent, event_class
from shared.upcasting import upcast

Row = dict[str, Any]


def seal(
    stream_id: str,
    first_version: int,
    prev_hash: bytes,
    events: Sequence[NewEvent],
    keys: dict[str, bytes],
    trace: dict[str, str],
    recorded_at: datetime | None = None,
) -> list[Row]:
    """Turn new events into chained rows; ``keys`` holds the key of every subject with personal fields."""
    now = (recorded_at or datetime.now(UTC)).isoformat()
    rows: list[Row] = []
    for offset, event in enumerate(events):
        payload = event.payload.model_dump(mode="json")
        personal = event.payload.personal_fields()
        event_id = str(event.event_id)
        if personal and event.subject_id is not None:
            payload = encrypt_fields(payload, personal, keys[event.subject_id], event_id)
        row: Row = {
            "event_id": event_id,
            "stream_id": stream_id,
            "version": first_version + offset,
            "event_type": event.payload.event_type(),
            "schema_version": event.payload.schema_version,
            "recorded_at": now,
            "engagement_id": _text(event.engagement_id),
            "causation_id": _text(event.causation_id),
            "correlation_id": _text(event.correlation_id),
            "subject_id": event.subject_id,
            "actor": actor_json(event.actor),
            "trace": trace,
            "payload": payload,
        }
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = chain.link(prev_hash, row)
        rows.append(row)
    return rows


@lru_cache(maxsize=4096)
def actor_json(actor: Actor) -> dict[str, Any]:
    """An actor's JSON form; a service's actors repeat, so each is made once (treat the result as read-only)."""
    return actor.model_dump(mode="json")


def needs_key(event: NewEvent) -> bool:
    return event.subject_id is not None and bool(event.payload.personal_fields())


def decode(row: Row, key: bytes | None, service: str) -> RecordedEvent:
    """A stored row as a current-version event; personal fields of a shredded subject read as None."""
    payload, erased = decrypt_fields(row["payload"], key, row["event_id"])
    cls = event_class(row["event_type"])
    decoded: Any = payload
    if cls is not None:
        payload = upcast(row["event_type"], row["schema_version"], cls.schema_version, payload)
        decoded = cls.model_validate(payload)
    return RecordedEvent(
        event_id=uuid.UUID(row["event_id"]),
        stream_id=row["stream_id"],
        version=row["version"],
        position=row.get("position", 0),
        event_type=row["event_type"],
        schema_version=cls.schema_version if cls is not None else row["schema_version"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        actor=Actor.model_validate(row["actor"]),
        payload=decoded,
        engagement_id=_uuid(row["engagement_id"]),
        causation_id=_uuid(row["causation_id"]),
        correlation_id=_uuid(row["correlation_id"]),
        subject_id=row["subject_id"],
        trace=row["trace"] or {},
        service=service,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        erased_fields=erased,
    )


def just_recorded(row: Row, event: NewEvent, service: str) -> RecordedEvent:
    """The recorded form of an event this process has just appended: no need to decrypt or validate again."""
    return RecordedEvent(
        event_id=event.event_id,
        stream_id=row["stream_id"],
        version=row["version"],
        position=row.get("position", 0),
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        actor=event.actor,
        payload=event.payload,
        engagement_id=event.engagement_id,
        causation_id=event.causation_id,
        correlation_id=event.correlation_id,
        subject_id=event.subject_id,
        trace=row["trace"],
        service=service,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def envelope(row: Row, service: str) -> Row:
    """The published form of a row: JSON-ready, personal fields still sealed, hashes in hex."""
    out = {name: row[name] for name in chain.HASHED_FIELDS}
    out["position"] = row.get("position", 0)
    out["service"] = service
    out["prev_hash"] = row["prev_hash"].hex()
    out["hash"] = row["hash"].hex()
    return out


def row_from_envelope(message: Row) -> Row:
    row = {name: message[name] for name in chain.HASHED_FIELDS}
    row["position"] = message.get("position", 0)
    row["prev_hash"] = bytes.fromhex(message["prev_hash"])
    row["hash"] = bytes.fromhex(message["hash"])
    return row


def verify_rows(rows: Iterable[Row], report: Any) -> None:
    """Walk rows ordered by stream and version; record the first break of each stream in ``report``."""
    stream: str | None = None
    expected_prev = chain.GENESIS
    expected_version = 1
    broken = False
    for row in rows:
        if row["stream_id"] != stream:
            stream, expected_prev, expected_version, broken = row["stream_id"], chain.GENESIS, 1, False
            report.streams_checked += 1
        report.events_checked += 1
        if broken:
            continue
        reason = None
        if row["version"] != expected_version:
            reason = f"version {row['version']} where {expected_version} was expected (a row is missing)"
        elif row["prev_hash"] != expected_prev:
            reason = "its link to the previous event does not match (a row was removed or reordered)"
        elif chain.link(row["prev_hash"], row) != row["hash"]:
            reason = "its content does not match its hash (the row was changed)"
        if reason is not None:
            report.breaks.append(
                ChainBreak(stream, row["version"], row["event_id"], row.get("position"), reason)
            )
            broken = True
            continue
        expected_prev = row["hash"]
        expected_version += 1


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)

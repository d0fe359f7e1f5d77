"""Events of the audit trail (``kokemus.audit.events.<EventType>``).

The audit service copies each event that concerns an engagement into that engagement's own hash-chained
trail, keeping the source's hash so the copy and the source can be checked against each other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from shared.events import DomainEvent


class TrailEntryRecorded(DomainEvent):
    """A source event joined the engagement's trail (stream ``trail-<engagement_id>``). ``summary`` is its
    payload without personal fields; ``causation_id`` and ``trace_id`` are the source event's own."""

    engagement_id: uuid.UUID
    source_service: str
    source_event_id: uuid.UUID
    source_stream_id: str
    source_version: int
    source_hash: str
    source_event_type: str
    recorded_at: dt.datetime
    actor: dict[str, Any]
    causation_id: uuid.UUID | None
    trace_id: str | None
    summary: dict[str, Any]


class CheckpointSigned(DomainEvent):
    """The audit signed the heads of every chain it holds (stream ``checkpoints``): ``signature`` is the compact
    JWS of the checkpoint, verifiable with the audit's public key, and ``streams`` how many heads of each
    service it covers. The heads themselves are kept beside the store and asked for by ``checkpoint_heads``."""

    checkpoint_id: uuid.UUID
    signed_at: dt.datetime
    signature: str
    streams: dict[str, int]
    digests: dict[str, str]

"""Canonical form and the hash chain.

Each event's hash is ``sha256(previous hash in its stream ‖ sha256(canonical content))``; the first event of
a stream links to 32 zero bytes. The content is everything the store keeps about the event except the
database's own bookkeeping (global position and transaction id), so a changed byte, a removed row and a
reordered row each break the chain at a place ``verify`` can name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = bytes(32)

HASHED_FIELDS = (
    "event_id",
    "stream_id",
    "version",
    "event_type",
    "schema_version",
    "recorded_at",
    "engagement_id",
    "causation_id",
    "correlation_id",
    "subject_id",
    "actor",
    "trace",
    "payload",
)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_digest(row: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical({name: row[name] for name in HASHED_FIELDS})).digest()


def link(prev_hash: bytes, row: dict[str, Any]) -> bytes:
    return hashlib.sha256(prev_hash + content_digest(row)).digest()

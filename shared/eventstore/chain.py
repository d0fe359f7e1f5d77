"""Canonical form and the hash chain.

Each event's hash is ``sha256(previous hash in its stream ‖ sha256(canonical content))``; the first event of
a stream links to 32 zero bytes. The content is every hashed field of the envelope (see
:data:`shared.envelope.HASHED_FIELDS`), so a changed byte, a removed row and a reordered row each break the
chain at a place ``verify`` can name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = bytes(32)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link(prev_hash: bytes, content: dict[str, Any]) -> bytes:
    """The hash of an event whose hashed fields, in JSON form, are ``content``."""
    return hashlib.sha256(prev_hash + hashlib.sha256(canonical(content)).digest()).digest()

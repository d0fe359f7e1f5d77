"""Crypto-shredding: personal fields are encrypted with a key per data subject (AES-256-GCM).

The stored (and published, and hashed) form holds only ciphertext, so deleting the subject's key erases
the data everywhere it was copied, while every hash chain still verifies.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENCRYPTED = "$encrypted"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encrypt_fields(payload: dict[str, Any], fields: frozenset[str], key: bytes, event_id: str) -> dict[str, Any]:
    """Replace each personal field that holds a value with its ciphertext, bound to the event id."""
    cipher = AESGCM(key)
    sealed = dict(payload)
    for name in fields:
        value = payload.get(name)
        if value is None:
            continue
        nonce = os.urandom(12)
        data = cipher.encrypt(nonce, json.dumps(value).encode(), event_id.encode())
        sealed[name] = {ENCRYPTED: base64.b64encode(nonce + data).decode()}
    return sealed


def is_encrypted(value: Any) -> bool:
    return isinstance(value, dict) and ENCRYPTED in value and len(value) == 1


def decrypt_fields(payload: dict[str, Any], key: bytes | None, event_id: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Open every sealed field; without a key (shredded) the field reads as None and is named as erased."""
    opened = dict(payload)
    erased: list[str] = []
    for name, value in payload.items():
        if not is_encrypted(value):
            continue
        if key is None:
            opened[name] = None
            erased.append(name)
            continue
        raw = base64.b64decode(value[ENCRYPTED])
        opened[name] = json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], event_id.encode()))
    return opened, tuple(sorted(erased))

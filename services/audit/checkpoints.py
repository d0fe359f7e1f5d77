"""Signed checkpoints: tamper evidence that survives a database administrator. No I/O here.

Every hash in the stores is computed without a secret, so someone who can write a service's database and the
audit's in step can rewrite history and recompute every hash. At an interval the audit therefore signs the
heads of every chain it holds (each source's, as copied, and its own trails') with a key that is in no
database (``KOKEMUS_AUDIT_SIGNING_KEY``). Verification checks the signature with the public key, that the
heads it is given are the ones signed (their digest), and that every store still holds each signed head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from shared.identity import ALGORITHM

Heads = dict[str, tuple[int, str]]  # stream -> (version, hash in hex)


def digest(heads: Heads) -> str:
    """One hash over a store's heads, the same whichever order they come in."""
    rows = sorted([stream, version, hash_] for stream, (version, hash_) in heads.items())
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def document(heads_by_service: dict[str, Heads], signed_at: dt.datetime, checkpoint_id: uuid.UUID) -> dict[str, Any]:
    return {"checkpoint_id": str(checkpoint_id), "signed_at": signed_at.isoformat(),
            "services": {service: {"streams": len(heads), "digest": digest(heads)}
                         for service, heads in sorted(heads_by_service.items())}}


def sign(content: dict[str, Any], key: OKPKey) -> str:
    payload = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return jws.serialize_compact({"alg": ALGORITHM, "kid": key.kid}, payload, key, algorithms=[ALGORITHM])


class CheckpointRefused(Exception):
    """The checkpoint's signature does not verify, or the heads given are not the ones it signed."""


def verify(signed: str, keys: KeySet, heads_by_service: dict[str, Heads]) -> dict[str, Any]:
    """The signed document, once its signature verifies with ``keys`` and every service's heads match it."""
    try:
        content: dict[str, Any] = json.loads(jws.deserialize_compact(signed, keys, algorithms=[ALGORITHM]).payload)
    except (JoseError, ValueError) as error:
        raise CheckpointRefused(f"the checkpoint's signature does not verify ({error})") from None
    for service, signed_service in content["services"].items():
        heads = heads_by_service.get(service, {})
        if digest(heads) != signed_service["digest"]:
            raise CheckpointRefused(f"the {service} heads given are not the ones the checkpoint signed: its copy of "
                                    "them was changed")
    return content

"""Key-encryption keys: each data subject's key is kept in the database wrapped by a key that is not there.

A service's key ring is ``KOKEMUS_KEY_ENCRYPTION_KEYS``: ``id:key`` pairs, comma-separated (the key 32 bytes in
URL-safe base64), or a file holding them. The first wraps every subject key written from now on; every one of
them unwraps. To rotate, put a new pair first and keep the old one after it: at start the service re-wraps every
key with the new one (:func:`rewrap_subject_keys`), after which the old pair can go. A subject key is wrapped
with AES-256-GCM, bound to its subject's id, so a wrapped key copied to another subject's row does not open.

Without a ring (a development set-up) subject keys are stored as they are; a ring given later wraps them at the
next start. A shredded key is NULL either way: there is nothing left to unwrap.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.eventstore.crypto import new_key

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
FORMAT = "id:key pairs, comma-separated, each key 32 bytes in URL-safe base64 (e.g. 2026-12:<44 characters>)"


class KeyRingError(ValueError):
    """The key ring is malformed, or cannot open what the database holds; the message says which and why."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> KeyRing:
        """The ring from its setting: the pairs themselves, or a file holding them; empty for none."""
        if text is None or not text.strip():
            return cls()
        candidate = Path(text.strip())
        if ":" not in text or candidate.is_file():
            try:
                text = candidate.read_text()
            except OSError as error:
                raise KeyRingError(f"KOKEMUS_KEY_ENCRYPTION_KEYS: cannot read {candidate}: {error.strerror}; "
                                   f"expected a file or {FORMAT}") from None
        pairs = []
        for n, item in enumerate(part.strip() for part in text.split(",") if part.strip()):
            key_id, _, encoded = item.partition(":")
            if not _KEY_ID.match(key_id):
                raise KeyRingError(f"KOKEMUS_KEY_ENCRYPTION_KEYS: pair {n + 1} has no valid id before ':' "
                                   f"(letters, digits, '.', '_' or '-'); expected {FORMAT}")
            try:
                key = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise KeyRingError(f"KOKEMUS_KEY_ENCRYPTION_KEYS: key {key_id!r} is not 32 bytes of URL-safe "
                                   f"base64; expected {FORMAT}")
            pairs.append((key_id, key))
        if len({key_id for key_id, _ in pairs}) != len(pairs):
            raise KeyRingError("KOKEMUS_KEY_ENCRYPTION_KEYS: an id is given twice; each key needs an id of its own")
        return cls(tuple(pairs))

    @staticmethod
    def new_pair(key_id: str) -> str:
        """A new ``id:key`` pair, for a ring's setting."""
        return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"

    @property
    def current(self) -> str | None:
        return self.keys[0][0] if self.keys else None

    def wrap(self, subject_id: str, key: bytes) -> tuple[str | None, bytes]:
        """(the wrapping key's id, what to store) for a subject key; as it is where the ring is empty."""
        if not self.keys:
            return None, key
        key_id, kek = self.keys[0]
        nonce = os.urandom(12)
        return key_id, nonce + AESGCM(kek).encrypt(nonce, key, subject_id.encode())

    def unwrap(self, subject_id: str, key_id: str | None, stored: bytes | None) -> bytes | None:
        if stored is None or key_id is None:
            return stored
        kek = dict(self.keys).get(key_id)
        if kek is None:
            raise KeyRingError(f"subject keys are wrapped with key {key_id!r}, which KOKEMUS_KEY_ENCRYPTION_KEYS "
                               "does not hold: give it (after the current one) until the service has re-wrapped them")
        try:
            return AESGCM(kek).decrypt(stored[:12], stored[12:], subject_id.encode())
        except InvalidTag:
            raise KeyRingError(f"the key of data subject {subject_id} does not open with key {key_id!r}: "
                               "the ring's key of that id is not the one it was wrapped with") from None


NO_KEY_RING = KeyRing()  # subject keys kept as they are (a development set-up, a test)

SELECT_KEYS = "SELECT subject_id, key, kek_id FROM {schema}.subject_keys WHERE subject_id = ANY($1)"


async def read_subject_keys(conn: asyncpg.Connection, schema: str, ring: KeyRing,
                            subjects: Sequence[str]) -> dict[str, bytes | None]:
    """The subjects' keys, unwrapped (None for a shredded one; a subject with no row is left out)."""
    found = await conn.fetch(SELECT_KEYS.format(schema=schema), list(subjects))
    return {row["subject_id"]: ring.unwrap(row["subject_id"], row["kek_id"], row["key"]) for row in found}


async def create_subject_keys(conn: asyncpg.Connection, schema: str, ring: KeyRing, subjects: Sequence[str]) -> None:
    """A new key for each subject that has none (nor had one: a shredded subject keeps its empty row)."""
    rows = []
    for subject in subjects:
        key_id, stored = ring.wrap(subject, new_key())
        rows.append((subject, stored, key_id))
    await conn.executemany(
        f"INSERT INTO {schema}.subject_keys (subject_id, key, kek_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        rows)


async def rewrap_subject_keys(pool: asyncpg.Pool, schema: str, ring: KeyRing, batch: int = 500) -> int:
    """Wrap every key not wrapped with the ring's current key with it; how many were. A key wrapped with one the
    ring does not hold fails here, at start, rather than when someone's data is read."""
    if ring.current is None:
        wrapped = await pool.fetchval(
            f"SELECT count(*) FROM {schema}.subject_keys WHERE key IS NOT NULL AND kek_id IS NOT NULL")
        if wrapped:
            raise KeyRingError(f"{wrapped} subject keys are wrapped, but KOKEMUS_KEY_ENCRYPTION_KEYS is not set: "
                               "give the key ring they were wrapped with")
        return 0
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"""SELECT subject_id, key, kek_id FROM {schema}.subject_keys
                    WHERE key IS NOT NULL AND kek_id IS DISTINCT FROM $1 ORDER BY subject_id LIMIT $2
                    FOR UPDATE SKIP LOCKED""", ring.current, batch)
            if not rows:
                return done
            updates = []
            for row in rows:
                key = ring.unwrap(row["subject_id"], row["kek_id"], row["key"])
                assert key is not None
                key_id, stored = ring.wrap(row["subject_id"], key)
                updates.append((row["subject_id"], stored, key_id))
            await conn.executemany(
                f"UPDATE {schema}.subject_keys SET key = $2, kek_id = $3 WHERE subject_id = $1 AND key IS NOT NULL",
                updates)
            done += len(rows)

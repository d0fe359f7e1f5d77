"""Each data subject's key lies in the database wrapped by a key that is not there, and the wrapping key can be
rotated: old events still read with the new ring alone, a ring without the key in use is refused at start, and
keys kept as they were (a set-up without a ring) are wrapped once a ring is given."""

from __future__ import annotations

import asyncpg
import pytest

from services.registry.service import definition
from shared.events import Actor, DomainEvent, NewEvent, Personal, Role
from shared.eventstore.keyring import KeyRing, KeyRingError, rewrap_subject_keys
from shared.eventstore.postgres import PostgresEventStore
from shared.runtime.service import ServiceRuntime
from shared.settings import SettingsError

pytestmark = pytest.mark.integration
ACTOR = Actor(id="c1", role=Role.coordinator)
OLD, NEW = KeyRing.new_pair("2025-01"), KeyRing.new_pair("2026-12")


class Noted(DomainEvent):
    about: str
    note: Personal


def store_with(scratch, ring: str | None) -> PostgresEventStore:
    pool, schema, _ = scratch
    return PostgresEventStore(pool, schema, "scratch", (Noted,), key_ring=KeyRing.parse(ring))


async def note(store: PostgresEventStore, subject: str, text: str) -> None:
    version = len(await store.read_stream(f"note-{subject}"))
    await store.append(f"note-{subject}", version, [NewEvent(Noted(about=subject, note=text), ACTOR,
                                                             subject_id=subject)])


async def notes(store: PostgresEventStore, subject: str) -> list[str | None]:
    return [e.payload.note for e in await store.read_stream(f"note-{subject}")]


async def stored_keys(scratch) -> dict[str, tuple[str | None, int]]:
    pool, schema, _ = scratch
    rows = await pool.fetch(f"SELECT subject_id, kek_id, length(key) AS n FROM {schema}.subject_keys")
    return {row["subject_id"]: (row["kek_id"], row["n"]) for row in rows}


async def test_a_rotated_ring_re_wraps_every_key_and_old_events_read_with_the_new_key_alone(scratch_schema):
    pool, schema, _ = scratch_schema
    old = store_with(scratch_schema, OLD)
    await note(old, "maija", "relapsed in May")
    await note(old, "pekka", "prefers mornings")
    # Wrapped: 12 bytes of nonce, the 32-byte key, a 16-byte tag; named by the key that wraps it.
    assert await stored_keys(scratch_schema) == {"maija": ("2025-01", 60), "pekka": ("2025-01", 60)}

    # Rotation: the new pair first, the old one kept until every key is re-wrapped (at the service's start).
    assert await rewrap_subject_keys(pool, schema, KeyRing.parse(f"{NEW},{OLD}")) == 2
    assert await rewrap_subject_keys(pool, schema, KeyRing.parse(f"{NEW},{OLD}")) == 0  # nothing left to do
    assert {kek for kek, _ in (await stored_keys(scratch_schema)).values()} == {"2026-12"}
    new = store_with(scratch_schema, NEW)  # the old pair gone
    assert await notes(new, "maija") == ["relapsed in May"]
    await note(new, "maija", "back at work")
    assert await notes(new, "maija") == ["relapsed in May", "back at work"]

    # A shredded key stays shredded through a rotation: the subject's notes read as erased.
    await new.shred("pekka")
    assert await rewrap_subject_keys(pool, schema, KeyRing.parse(f"{OLD},{NEW}")) == 1  # only maija's
    assert await notes(store_with(scratch_schema, OLD), "pekka") == [None]


async def test_a_ring_without_the_key_in_use_is_refused_not_read_as_erased(scratch_schema):
    pool, schema, _ = scratch_schema
    await note(store_with(scratch_schema, OLD), "maija", "relapsed in May")
    with pytest.raises(KeyRingError, match="2025-01"):
        await notes(store_with(scratch_schema, NEW), "maija")
    with pytest.raises(KeyRingError, match="2025-01"):
        await rewrap_subject_keys(pool, schema, KeyRing.parse(NEW))
    with pytest.raises(KeyRingError, match="KOKEMUS_KEY_ENCRYPTION_KEYS is not set"):
        await rewrap_subject_keys(pool, schema, KeyRing.parse(None))
    # A pair of the same id but another key does not open it either, and says so.
    impostor = KeyRing.new_pair("2025-01")
    with pytest.raises(KeyRingError, match="does not open"):
        await notes(store_with(scratch_schema, impostor), "maija")


async def test_keys_kept_as_they_were_are_wrapped_once_a_ring_is_given(scratch_schema):
    pool, schema, _ = scratch_schema
    await note(store_with(scratch_schema, None), "maija", "relapsed in May")
    assert await stored_keys(scratch_schema) == {"maija": (None, 32)}
    assert await rewrap_subject_keys(pool, schema, KeyRing.parse(NEW)) == 1
    assert await stored_keys(scratch_schema) == {"maija": ("2026-12", 60)}
    assert await notes(store_with(scratch_schema, NEW), "maija") == ["relapsed in May"]


@pytest.mark.services("registry")
async def test_a_service_given_a_ring_without_its_key_refuses_to_start_and_says_why(environment, tmp_path):
    pool = await asyncpg.create_pool(environment.dsns["registry"], min_size=1, max_size=1)
    try:
        key_id, wrapped = KeyRing.parse(OLD).wrap("maija", b"k" * 32)
        await pool.execute("INSERT INTO registry.subject_keys (subject_id, key, kek_id) VALUES ('maija', $1, $2)",
                           wrapped, key_id)
        ring = tmp_path / "ring"
        ring.write_text(NEW + "\n")  # the old pair dropped too soon
        refused = ServiceRuntime(definition(), environment.settings("registry", key_encryption_keys=str(ring)))
        with pytest.raises(SettingsError, match="2025-01"):
            await refused.start(serve_http=False)
        ring.write_text(f"{NEW},{OLD}\n")
        rotated = ServiceRuntime(definition(), environment.settings("registry", key_encryption_keys=str(ring)))
        await rotated.start(serve_http=False)
        await rotated.stop()
        assert await pool.fetchval("SELECT kek_id FROM registry.subject_keys WHERE subject_id = 'maija'") == "2026-12"
    finally:
        await pool.close()

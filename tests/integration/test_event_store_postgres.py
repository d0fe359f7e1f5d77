"""What only the PostgreSQL store must show: the database enforces append-only, the global log never skips
a late committer, and verify names each kind of tampering."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import asyncpg
import pytest

from shared.events import Actor, DomainEvent, NewEvent, Role
from shared.eventstore.postgres import PostgresEventStore

pytestmark = pytest.mark.integration
ACTOR = Actor(id="c1", role=Role.coordinator)


class StepTaken(DomainEvent):
    step: int


def steps(*numbers: int) -> list[NewEvent]:
    return [NewEvent(StepTaken(step=n), ACTOR) for n in numbers]


def superuser_dsn(servers, database: str) -> str:
    return urlsplit(servers.admin_dsn)._replace(path=f"/{database}").geturl()


@pytest.fixture
async def store(scratch_schema):
    pool, schema, _ = scratch_schema
    return PostgresEventStore(pool, schema, "scratch", (StepTaken,))


@pytest.mark.parametrize("statement", [
    "UPDATE scratch.events SET event_type = 'Forged'",
    "DELETE FROM scratch.events",
    "TRUNCATE scratch.events",
])
async def test_the_services_own_role_cannot_change_or_remove_events(store, statement):
    await store.append("walk", 0, steps(1, 2))
    async with store.pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    assert [e.payload.step for e in await store.read_stream("walk")] == [1, 2]


@pytest.mark.parametrize("statement", [
    "ALTER TABLE scratch.events DISABLE TRIGGER events_append_only",
    "ALTER TABLE scratch.events DISABLE TRIGGER ALL",
    "DROP TRIGGER events_append_only ON scratch.events",
    "ALTER TABLE scratch.events ADD COLUMN forged text",
    "CREATE TABLE scratch.shadow (id int)",
])
async def test_the_services_own_role_owns_nothing_so_it_cannot_switch_the_protection_off(store, statement):
    await store.append("walk", 0, steps(1))
    async with store.pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
        await conn.execute("GRANT UPDATE ON scratch.events TO CURRENT_USER")  # grants nothing: not the owner's
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE scratch.events SET event_type = 'Forged'")
    assert [e.event_type for e in await store.read_stream("walk")] == ["StepTaken"]


async def test_even_the_owner_gets_the_trigger_when_it_grants_itself_the_rights(store, servers, scratch_schema):
    _, _, database = scratch_schema
    await store.append("walk", 0, steps(1))
    conn = await asyncpg.connect(superuser_dsn(servers, database))
    try:
        await conn.execute("SET ROLE kokemus_scratch_owner")
        await conn.execute("GRANT UPDATE, DELETE ON scratch.events TO CURRENT_USER")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("DELETE FROM scratch.events")
    finally:
        await conn.close()
    assert len(await store.read_stream("walk")) == 1


async def test_a_reader_never_skips_a_slow_writer_that_took_a_lower_position(store):
    """A slow transaction takes position 1 and commits late; a fast one takes position 2 and commits first.
    A reader that read while the slow one was open must still get position 1 afterwards."""
    slow = await store.pool.acquire()
    try:
        slow_tx = slow.transaction()
        await slow_tx.start()
        await store.append("slow", 0, steps(1), connection=slow)  # holds position 1, uncommitted
        await store.append("fast", 0, steps(2))  # position 2, committed
        while_open = await store.read_all()
        assert while_open == [], "the committed event must wait behind the open transaction"
        await slow_tx.commit()
    finally:
        await store.pool.release(slow)
    after = await store.read_all()
    assert [e.payload.step for e in after] == [1, 2]


async def test_concurrent_racing_writers_are_read_back_complete_and_once(store):
    """Many writers commit in random order while a reader follows the log: it sees each event exactly once."""
    seen: list[int] = []
    done = asyncio.Event()

    async def follow() -> None:
        position = 0
        while True:
            finished = done.is_set()
            batch = await store.read_all(after_position=position, limit=50)
            seen.extend(e.payload.step for e in batch)
            if batch:
                position = batch[-1].position
            elif finished:
                return
            await asyncio.sleep(0.005)

    async def write(writer: int) -> None:
        for n in range(20):
            async with store.pool.acquire() as conn, conn.transaction():
                await store.append(f"writer-{writer}", n, steps(writer * 100 + n), connection=conn)
                await asyncio.sleep(0.001 * ((writer + n) % 4))  # commit later than others did

    reader = asyncio.create_task(follow())
    await asyncio.gather(*(write(w) for w in range(8)))
    done.set()
    await reader
    assert sorted(seen) == sorted(w * 100 + n for w in range(8) for n in range(20))
    assert len(seen) == len(set(seen))


async def _tamper(servers, database: str, sql: str) -> None:
    conn = await asyncpg.connect(superuser_dsn(servers, database))
    try:
        await conn.execute("SET session_replication_role = replica")  # a superuser bypassing the triggers
        await conn.execute(sql)
    finally:
        await conn.close()


async def _three_streams(store: PostgresEventStore) -> None:
    await store.append("a", 0, steps(1, 2, 3))
    await store.append("b", 0, steps(4, 5, 6))
    await store.append("c", 0, steps(7))


async def test_verify_names_an_event_whose_payload_was_changed(servers, scratch_schema, store):
    await _three_streams(store)
    _, _, database = scratch_schema
    await _tamper(servers, database,
                  """UPDATE scratch.events SET payload = '{"step": 50}' WHERE stream_id = 'b' AND version = 2""")
    report = await store.verify()
    assert not report.intact
    [broken] = report.breaks
    assert (broken.stream_id, broken.version) == ("b", 2)
    assert "content does not match" in broken.reason


async def test_verify_names_the_event_after_a_removed_row(servers, scratch_schema, store):
    await _three_streams(store)
    _, _, database = scratch_schema
    await _tamper(servers, database, "DELETE FROM scratch.events WHERE stream_id = 'a' AND version = 2")
    [broken] = (await store.verify()).breaks
    assert (broken.stream_id, broken.version) == ("a", 3)
    assert "missing" in broken.reason


async def test_verify_names_reordered_rows(servers, scratch_schema, store):
    await _three_streams(store)
    _, _, database = scratch_schema
    await _tamper(servers, database, """
        UPDATE scratch.events SET version = version + 100 WHERE stream_id = 'b' AND version IN (1, 2);
        UPDATE scratch.events SET version = 2 WHERE stream_id = 'b' AND version = 101;
        UPDATE scratch.events SET version = 1 WHERE stream_id = 'b' AND version = 102;""")
    [broken] = (await store.verify()).breaks
    assert (broken.stream_id, broken.version) == ("b", 1)


async def test_verify_catches_a_rehashed_row_at_the_next_link(servers, scratch_schema, store):
    """A forger who changes a row and recomputes its own hash still breaks the next event's link."""
    await _three_streams(store)
    _, _, database = scratch_schema
    rows = await store.read_stream("a")
    from shared.envelope import hashed_content
    from shared.eventstore import chain, rows as stored

    async with store.pool.acquire() as conn:
        record = await conn.fetchrow(f"SELECT {stored.SELECTED} FROM scratch.events WHERE stream_id='a' AND version=1")
    forged = stored.published(record, "scratch").model_copy(update={"payload": {"step": 99}})
    forged_hash = chain.link(forged.prev_hash, hashed_content(forged))
    await _tamper(servers, database,
                  f"""UPDATE scratch.events SET payload = '{{"step": 99}}', hash = '\\x{forged_hash.hex()}'
                      WHERE stream_id = 'a' AND version = 1""")
    [broken] = (await store.verify()).breaks
    assert (broken.stream_id, broken.version) == ("a", 2)
    assert rows[1].prev_hash != forged_hash


async def test_the_log_is_ordered_by_transaction_id_as_a_number_not_as_text(store):
    """Transaction 9 committed before transaction 10: as text, '10' would sort first and be skipped."""
    from shared.eventstore import chain, codec

    sealed = (codec.seal("old", 1, chain.GENESIS, steps(9), {}, {}, service="scratch")
              + codec.seal("new", 1, chain.GENESIS, steps(10), {}, {}, service="scratch"))
    async with store.pool.acquire() as conn:
        for event, tx in zip(sealed, ("9", "10"), strict=False):
            await conn.execute(
                """INSERT INTO scratch.events (transaction_id, event_id, stream_id, version, event_type, schema_version,
                       recorded_at, actor, trace, payload, prev_hash, hash)
                   VALUES ($1::text::xid8, $2, $3, $4, $5, $6, $7, $8::jsonb, '{}', $9::jsonb, $10, $11)""",
                tx,
                event.event_id,
                event.stream_id,
                event.version,
                event.event_type,
                event.schema_version,
                event.recorded_at,
                event.actor.model_dump_json(),
                json.dumps(event.payload),
                event.prev_hash,
                event.hash,
            )
    await store.append("later", 0, steps(11))
    first = await store.read_all(limit=1)
    rest = await store.read_all(after_position=first[0].position)
    assert [e.payload.step for e in first + rest] == [9, 10, 11]


class Noted(DomainEvent):
    text: str


async def test_an_event_too_large_for_the_bus_is_refused_when_it_is_made_and_nothing_is_kept(scratch_schema):
    from shared.errors import Invalid
    from shared.eventstore.rows import MAX_PAYLOAD_BYTES

    pool, schema, _ = scratch_schema
    store = PostgresEventStore(pool, schema, "scratch", (Noted,))
    with pytest.raises(Invalid) as refused:
        await store.append("note-1", 0, [NewEvent(Noted(text="x" * (MAX_PAYLOAD_BYTES + 1)), ACTOR)])
    assert "more than the bus carries" in refused.value.message
    assert await store.read_all() == []
    await store.append("note-1", 0, [NewEvent(Noted(text="x" * 1000), ACTOR)])  # the stream is still usable


async def test_an_event_held_back_behind_an_open_transaction_is_known_to_be_waiting(store):
    """What the relay asks when the log after its cursor is empty: are committed events waiting there behind
    an older open transaction (look again soon), or is there nothing (wait for the next notification)?"""
    async with store.pool.acquire() as conn:
        assert not await store.held_back(conn, (0, 0))
        older = await store.pool.acquire()
        try:
            older_tx = older.transaction()
            await older_tx.start()
            await older.fetchval("SELECT pg_current_xact_id()")  # an open transaction with its id: the horizon
            await store.append("fast", 0, steps(1))  # committed, after the open transaction began
            assert await store.read_log(conn, (0, 0), 10) == []
            assert await store.held_back(conn, (0, 0))
            await older_tx.commit()
        finally:
            await store.pool.release(older)
        [(cursor, envelope)] = await store.read_log(conn, (0, 0), 10)
        assert envelope.event_type == "StepTaken"
        assert not await store.held_back(conn, cursor)


async def test_another_roles_open_transaction_does_not_hold_the_log_back(store, servers, scratch_schema):
    """Only the service's own role appends to its events: a long transaction of another service (here the
    superuser's) must not keep this service's events off the bus, while one of its own role does (above)."""
    _, _, database = scratch_schema
    other = await asyncpg.connect(superuser_dsn(servers, database))
    try:
        async with other.transaction():
            await other.fetchval("SELECT pg_current_xact_id()")  # open, with its id, older than the append
            await store.append("fast", 0, steps(1))
            async with store.pool.acquire() as conn:
                [(_, envelope)] = await store.read_log(conn, (0, 0), 10)
        assert envelope.stream_id == "fast"
    finally:
        await other.close()


async def test_the_log_is_read_outside_a_transaction_only(store):
    async with store.pool.acquire() as conn, conn.transaction():
        with pytest.raises(RuntimeError, match="outside any transaction"):
            await store.read_log(conn, (0, 0), 10)

"""One contract for every event store: the same tests run against the in-memory and the PostgreSQL store."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from shared.events import Actor, DomainEvent, NewEvent, Personal, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import ConcurrencyConflict, SubjectErased
from shared.eventstore.postgres import PostgresEventStore
from shared.upcasting import upcaster
from tests.conftest import scratch_database

ACTOR = Actor(id="coordinator-1", role=Role.coordinator, organization_id="county")


class NoteTaken(DomainEvent):
    text: str
    author: Personal = None


class RoomBooked(DomainEvent):
    schema_version = 2
    room: str
    capacity: int  # version 1 had no capacity


@upcaster(RoomBooked, from_version=1)
def _capacity_unknown(payload: dict) -> dict:
    return {**payload, "capacity": 0}


def note(text: str, author: str | None = None, subject: str | None = None, **meta) -> NewEvent:
    return NewEvent(NoteTaken(text=text, author=author), ACTOR, subject_id=subject, **meta)


EVENTS = (NoteTaken, RoomBooked)


@pytest.fixture(params=["memory", "postgres"])
async def store(request):
    if request.param == "memory":
        yield InMemoryEventStore("memory", EVENTS)
        return
    # Only the PostgreSQL half asks for real servers.
    async with scratch_database(request.getfixturevalue("servers")) as (pool, schema, _):
        yield PostgresEventStore(pool, schema, "scratch", EVENTS)


async def test_appended_events_read_back_in_order_with_metadata(store):
    engagement = uuid.uuid4()
    recorded = await store.append("note-1", 0, [note("a", engagement_id=engagement), note("b")])
    assert [e.version for e in recorded] == [1, 2]
    events = await store.read_stream("note-1")
    assert [e.payload.text for e in events] == ["a", "b"]
    assert events[0].engagement_id == engagement
    assert events[0].actor == ACTOR
    assert events[0].event_type == "NoteTaken" and events[0].schema_version == 1
    assert events[1].prev_hash == events[0].hash
    assert events[0].position < events[1].position


async def test_a_losing_writer_gets_a_conflict_and_keeps_nothing(store):
    await store.append("note-1", 0, [note("first")])
    with pytest.raises(ConcurrencyConflict) as conflict:
        await store.append("note-1", 0, [note("late-1"), note("late-2")])
    assert conflict.value.actual_version == 1 and conflict.value.expected_version == 0
    assert [e.payload.text for e in await store.read_stream("note-1")] == ["first"]


async def test_an_expected_version_ahead_of_the_stream_is_a_conflict(store):
    await store.append("note-1", 0, [note("first")])
    with pytest.raises(ConcurrencyConflict):
        await store.append("note-1", 5, [note("gap")])
    assert len(await store.read_stream("note-1")) == 1


async def test_concurrent_writers_one_wins(store):
    results = await asyncio.gather(
        *(store.append("race", 0, [note(f"writer {n}")]) for n in range(8)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(winners) == 1 and len(losers) == 7
    assert len(await store.read_stream("race")) == 1


async def test_appending_the_same_event_id_twice_records_it_once(store):
    retried = note("once", event_id=uuid.uuid4())
    first = await store.append("note-1", 0, [retried])
    again = await store.append("note-1", 0, [retried])
    assert again[0].event_id == first[0].event_id
    assert len(await store.read_stream("note-1")) == 1
    assert len(await store.read_all()) == 1


async def test_read_all_pages_through_the_global_log(store):
    for n in range(5):
        await store.append(f"s-{n}", 0, [note(str(n))])
    first = await store.read_all(limit=3)
    rest = await store.read_all(after_position=first[-1].position, limit=10)
    assert [e.payload.text for e in first + rest] == ["0", "1", "2", "3", "4"]


async def test_read_engagement_finds_its_events_across_streams(store):
    engagement = uuid.uuid4()
    await store.append("a", 0, [note("x", engagement_id=engagement)])
    await store.append("b", 0, [note("y")])
    await store.append("c", 0, [note("z", engagement_id=engagement)])
    assert [e.payload.text for e in await store.read_engagement(engagement)] == ["x", "z"]


async def test_an_intact_store_verifies(store):
    await store.append("a", 0, [note("1"), note("2")])
    await store.append("a", 2, [note("3")])
    await store.append("b", 0, [note("4")])
    report = await store.verify()
    assert report.intact and report.events_checked == 4 and report.streams_checked == 2


async def test_personal_fields_read_back_until_the_key_is_shredded(store):
    await store.append("expert-1", 0, [note("registered", author="Maija Meikäläinen", subject="expert-1")])
    [event] = await store.read_stream("expert-1")
    assert event.payload.author == "Maija Meikäläinen" and event.erased_fields == ()

    assert await store.shred("expert-1")
    [erased] = await store.read_stream("expert-1")
    assert erased.payload.author is None
    assert erased.erased_fields == ("author",)
    assert erased.payload.text == "registered"  # what is not personal stays
    assert (await store.verify()).intact  # the chain covers the ciphertext, which is still there


async def test_no_new_personal_data_for_an_erased_subject(store):
    await store.append("expert-1", 0, [note("a", author="Maija", subject="expert-1")])
    await store.shred("expert-1")
    with pytest.raises(SubjectErased):
        await store.append("expert-1", 1, [note("b", author="Maija again", subject="expert-1")])


class RoomBookedAsReleaseOneWroteIt(DomainEvent):
    """Version 1 of RoomBooked, as an older release recorded it."""

    room: str

    @classmethod
    def event_type(cls) -> str:
        return "RoomBooked"


async def test_old_schema_versions_are_upcast_on_read(store):
    await store.append("room-1", 0, [NewEvent(RoomBookedAsReleaseOneWroteIt(room="A1"), ACTOR)])
    [event] = await store.read_stream("room-1")
    assert isinstance(event.payload, RoomBooked)
    assert event.payload == RoomBooked(room="A1", capacity=0)
    assert event.schema_version == 2
    assert (await store.verify()).intact  # the stored version-1 form is what the hash covers


@pytest.mark.parametrize("late", [1, 3], ids=["one event (no savepoint)", "several events (a savepoint)"])
async def test_a_conflict_inside_a_callers_transaction_is_a_conflict_and_the_transaction_survives(servers, late):
    async with scratch_database(servers) as (pool, schema, _):
        store = PostgresEventStore(pool, schema, "scratch", EVENTS)
        await store.append("note-1", 0, [note("first"), note("second")])
        async with pool.acquire() as conn, conn.transaction():
            with pytest.raises(ConcurrencyConflict):
                await store.append("note-1", 0, [note("late") for _ in range(late)], connection=conn)
            await store.append("note-2", 0, [note("other")], connection=conn)  # still usable
        assert [e.payload.text for e in await store.read_stream("note-2")] == ["other"]
        assert [e.payload.text for e in await store.read_stream("note-1")] == ["first", "second"]

"""A service's consumers handle one engagement's events one after another, in the order they came, and other
engagements' alongside; the table of locks holds only what is in hand."""

import asyncio
import datetime as dt
import uuid

from shared.envelope import Published
from shared.events import Actor, Role
from shared.messaging.consumer import KeyedLocks, ordering_key


async def test_one_keys_holders_take_turns_in_the_order_they_came_and_other_keys_go_alongside():
    locks, log = KeyedLocks(), []
    first_inside = asyncio.Event()

    async def handle(key: str, name: str, wait: asyncio.Event | None = None) -> None:
        async with locks.hold(key):
            log.append(f"{name} in")
            if wait is not None:
                first_inside.set()
                await wait.wait()
            log.append(f"{name} out")

    release = asyncio.Event()
    first = asyncio.create_task(handle("engagement:1", "a1", release))
    await first_inside.wait()
    second = asyncio.create_task(handle("engagement:1", "a2"))
    third = asyncio.create_task(handle("engagement:1", "a3"))
    other = asyncio.create_task(handle("engagement:2", "b1"))
    await other
    assert log == ["a1 in", "b1 in", "b1 out"]  # the other engagement did not wait
    assert len(locks) == 1
    release.set()
    await asyncio.gather(first, second, third)
    assert log[3:] == ["a1 out", "a2 in", "a2 out", "a3 in", "a3 out"]
    assert len(locks) == 0


async def test_a_failing_holder_lets_the_next_in():
    locks = KeyedLocks()

    async def fail() -> None:
        async with locks.hold("k"):
            raise RuntimeError("handler failed")

    results = await asyncio.gather(fail(), asyncio.wait_for(_enter(locks, "k"), 1), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] == "entered"
    assert len(locks) == 0


async def _enter(locks: KeyedLocks, key: str) -> str:
    async with locks.hold(key):
        return "entered"


def _envelope(engagement_id: uuid.UUID | None) -> Published:
    return Published.model_construct(
        event_id=uuid.uuid4(), stream_id="contract-9", version=1, event_type="X", schema_version=1,
        recorded_at=dt.datetime.now(dt.UTC), engagement_id=engagement_id, causation_id=None, correlation_id=None,
        subject_id=None, actor=Actor(id="c", role=Role.coordinator), trace={}, payload={}, prev_hash=b"",
        hash=b"", service="contracts")


def test_the_key_is_the_engagement_or_else_the_source_stream():
    engagement = uuid.uuid4()
    assert ordering_key(_envelope(engagement)) == f"engagement:{engagement}"
    assert ordering_key(_envelope(None)) == "contracts:contract-9"

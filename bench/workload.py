"""The work every contender does: which writer appends which events to which stream, and how it is timed.

All three contenders get the same plan. The kokemus store takes its :class:`NewEvent` objects as a command
handler would hand them over; the baselines get the rows the kokemus codec makes of them (same ids, same
JSON, same hashes), prepared before the clock starts, so they measure only the database and the driver.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from services.registry.events import TrainingCompleted
from shared.events import Actor, NewEvent, Role
from shared.eventstore import chain, codec

EVENTS = (TrainingCompleted,)  # what the workload records

ACTOR = Actor(id="coordinator-1", role=Role.coordinator, organization_id="varha")
TRAINING = "Kokemusasiantuntijuuden rakentuminen"


@dataclass(frozen=True)
class Workload:
    """Sizes of one run. ``single_events`` appends of one event each, ``batched_events`` in appends of
    ``batch_size``; reading covers everything written, warm-up included."""

    single_events: int = 20_000
    batched_events: int = 40_000
    writers: int = 16
    batch_size: int = 20
    page_size: int = 1000
    single_per_stream: int = 10  # events per stream before a writer moves to a fresh one
    batches_per_stream: int = 2
    warmup_appends: int = 10  # per writer and kind, not timed
    rounds: int = 1  # each figure is the median round

    @classmethod
    def scaled(cls, events: int, writers: int = 16, rounds: int = 1) -> Workload:
        """``events`` single appends and twice as many batched events (the README's default run)."""
        return cls(single_events=events, batched_events=2 * events, writers=writers, rounds=rounds)


@dataclass(frozen=True)
class Append:
    """One call of the store: ``events`` as versions ``expected_version + 1 …`` of ``stream_id``."""

    stream_id: str
    expected_version: int
    events: tuple[NewEvent, ...]


Plan = list[list[Append]]  # each writer's appends, in the order that writer makes them


def pool_size(writers: int) -> int:
    """Every contender gets the same pool: one connection per writer, and never fewer than 16."""
    return max(16, writers)


def plan(label: str, appends: int, per_append: int, per_stream: int, writers: int) -> Plan:
    """``appends`` appends of ``per_append`` events spread over ``writers``; each writer fills streams of its
    own, ``per_stream`` appends each, so writers never contend for a stream (as with distinct aggregates)."""
    run = uuid.uuid4().hex[:8]
    plans: Plan = []
    for writer in range(writers):
        mine = appends // writers + (1 if writer < appends % writers else 0)
        calls = []
        for call in range(mine):
            stream_id = f"expert-{label}-{run}-{writer}-{call // per_stream}"
            calls.append(Append(stream_id, (call % per_stream) * per_append, _events(stream_id, per_append)))
        plans.append(calls)
    return plans


def _events(stream_id: str, count: int) -> tuple[NewEvent, ...]:
    command_id = uuid.uuid4()
    return tuple(
        NewEvent(
            TrainingCompleted(expert_id=stream_id, training=TRAINING, completed_on=dt.date(2023, 4, 20),
                              trained_by="varha", by_county=True),
            ACTOR,
            event_id=uuid.uuid5(command_id, f"{stream_id}:{n}"),
            causation_id=command_id,
            correlation_id=command_id,
            subject_id=stream_id,
        )
        for n in range(count)
    )


def event_count(plans: Plan) -> int:
    return sum(len(call.events) for calls in plans for call in calls)


Row = dict[str, Any]


def sealed_rows(plans: Plan) -> list[list[list[Row]]]:
    """What the kokemus codec stores for each append (hash-chained per stream), for the baselines: each
    envelope in its JSON form, the two hashes as bytes."""
    heads: dict[str, bytes] = {}
    out = []
    for calls in plans:
        mine = []
        for call in calls:
            prev = heads.get(call.stream_id, chain.GENESIS)
            sealed = codec.seal(call.stream_id, call.expected_version + 1, prev, call.events, {}, {}, service="bench")
            heads[call.stream_id] = sealed[-1].hash
            mine.append([{**e.model_dump(mode="json"), "prev_hash": e.prev_hash, "hash": e.hash} for e in sealed])
        out.append(mine)
    return out


class Contender(Protocol):
    """One way of storing events. ``prepare`` is not timed; ``write`` and ``read`` are."""

    name: str

    def prepare(self, plans: Plan) -> Any: ...

    async def write(self, prepared: Any) -> int:
        """Make every append of the prepared plan, one task (or thread) per writer; the events written."""

    async def read(self, page_size: int) -> int:
        """Read the whole global log from the start in pages; the events read."""

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Measurement:
    contender: str
    workload: str  # "single", "batched" or "read"
    events: int
    seconds: float
    client_cpu_seconds: float  # this process (every thread): what the contender costs its caller

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def client_cpu_per_event(self) -> float:
        return self.client_cpu_seconds / self.events if self.events else 0.0


def median(measurements: list[Measurement]) -> Measurement:
    """The round with the median rate (the slower middle one of an even count): a real measurement."""
    ranked = sorted(measurements, key=lambda m: m.per_second)
    return ranked[(len(ranked) - 1) // 2]


async def timed(contender: str, workload: str, work: Awaitable[int]) -> Measurement:
    """Time ``work`` (a coroutine not yet started), which returns the events it wrote or read."""
    # The benchmark's own objects (every plan, the prepared rows) are frozen out of the garbage collector's
    # reach: otherwise whichever contender allocates most pays for scanning them, as no real service would.
    gc.collect()
    gc.freeze()
    try:
        cpu, started = time.process_time(), time.perf_counter()
        events = await work
        return Measurement(contender, workload, events, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        gc.unfreeze()

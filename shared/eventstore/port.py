"""The event store port: what every implementation (PostgreSQL, in-memory) promises.

One contract test suite (``tests/contract/test_event_store.py``) runs against each implementation.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.envelope import RecordedEvent
from shared.events import NewEvent


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream first; nothing of this append was kept."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual_version}, the append expected {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class SubjectErased(Exception):
    """Personal data was given for a data subject whose key has been shredded."""


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a stream whose hash chain does not hold, and why."""

    stream_id: str
    version: int
    event_id: str | None
    position: int | None
    reason: str


@dataclass
class VerifyReport:
    store: str
    events_checked: int = 0
    streams_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


class EventStore(abc.ABC):
    """Append-only streams of events with optimistic concurrency and a commit-safe global log."""

    service: str

    @abc.abstractmethod
    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], *, connection: Any = None
    ) -> list[RecordedEvent]:
        """Record ``events`` as versions ``expected_version + 1 …`` of the stream, all or nothing.

        Raises :class:`ConcurrencyConflict` when the stream is not at ``expected_version``. Appending events
        whose ids are already recorded (a retried command) returns the recorded ones and records nothing.
        ``connection`` lets a caller make the append part of its own transaction.
        """

    def committed(self) -> None:  # noqa: B027 - a hook: doing nothing is the default
        """Told that a transaction that appended events has just committed (the unit of work calls this once
        its commit returned). A store that publishes its events, through the outbox relay, wakes the relay;
        one that does not (in memory) has nothing to do."""

    @abc.abstractmethod
    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, connection: Any = None
    ) -> list[RecordedEvent]:
        """The stream's events in version order, upcast to their current schema."""

    @abc.abstractmethod
    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """The global log after the event at ``after_position``, never skipping a late-committing writer."""

    @abc.abstractmethod
    async def read_engagement(self, engagement_id: uuid.UUID) -> list[RecordedEvent]:
        """Every event that names the engagement, in log order."""

    @abc.abstractmethod
    async def shred(self, subject_id: str, *, connection: Any = None) -> bool:
        """Destroy the data subject's key: their personal fields read as erased from now on."""

    @abc.abstractmethod
    async def verify(self) -> VerifyReport:
        """Walk every stream's hash chain and name the first broken event of each."""

    @abc.abstractmethod
    async def heads(self) -> dict[str, tuple[int, bytes]]:
        """The last event of every stream: its version and hash."""

    async def iterate_all(self, *, after_position: int = 0, batch: int = 1000) -> AsyncIterator[RecordedEvent]:
        while True:
            events = await self.read_all(after_position=after_position, limit=batch)
            if not events:
                return
            for event in events:
                yield event
            after_position = events[-1].position

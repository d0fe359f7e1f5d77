"""In-memory event store for unit tests of domains and handlers; same contract as the PostgreSQL one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from shared.envelope import Published, RecordedEvent
from shared.events import DomainEvent, EventTypes, NewEvent
from shared.eventstore import chain, codec
from shared.eventstore.crypto import new_key
from shared.eventstore.port import ConcurrencyConflict, EventStore, SubjectErased, VerifyReport


class InMemoryEventStore(EventStore):
    def __init__(self, service: str = "memory", events: Iterable[type[DomainEvent]] = ()) -> None:
        self.service = service
        self.types = EventTypes(events)
        self.published: list[Published] = []
        self._streams: dict[str, list[Published]] = {}
        self._by_id: dict[uuid.UUID, Published] = {}
        self._keys: dict[str, bytes | None] = {}

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], *, connection: Any = None
    ) -> list[RecordedEvent]:
        if not events:
            return []
        known = [self._by_id.get(event.event_id) for event in events]
        if all(known):
            return [self._open(envelope) for envelope in known if envelope]
        stream = self._streams.get(stream_id, [])
        if len(stream) != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, len(stream))
        keys = {event.subject_id: self._key_for_writing(event.subject_id)
                for event in events if event.subject_id is not None and codec.needs_key(event)}
        prev_hash = stream[-1].hash if stream else chain.GENESIS
        sealed = codec.seal(stream_id, expected_version + 1, prev_hash, events, keys, {}, service=self.service)
        stored = [envelope.model_copy(update={"position": len(self.published) + n})
                  for n, envelope in enumerate(sealed, start=1)]
        self.published.extend(stored)
        self._by_id.update((envelope.event_id, envelope) for envelope in stored)
        self._streams[stream_id] = stream + stored
        return [codec.just_recorded(envelope, event) for envelope, event in zip(stored, events, strict=True)]

    def _key_for_writing(self, subject_id: str) -> bytes:
        key = self._keys.setdefault(subject_id, new_key())
        if key is None:
            raise SubjectErased(f"data subject {subject_id} has been erased; no personal data can be recorded")
        return key

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, connection: Any = None
    ) -> list[RecordedEvent]:
        return [self._open(e) for e in self._streams.get(stream_id, []) if e.version > after_version]

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return [self._open(e) for e in self.published[after_position: after_position + limit]]

    async def read_engagement(self, engagement_id: uuid.UUID) -> list[RecordedEvent]:
        return [self._open(e) for e in self.published if e.engagement_id == engagement_id]

    async def shred(self, subject_id: str, *, connection: Any = None) -> bool:
        existed = self._keys.get(subject_id) is not None
        self._keys[subject_id] = None
        return existed

    async def heads(self) -> dict[str, tuple[int, bytes]]:
        return {stream_id: (events[-1].version, events[-1].hash) for stream_id, events in self._streams.items()}

    async def verify(self) -> VerifyReport:
        report = VerifyReport(store=self.service)
        codec.verify_stream_order(sorted(self.published, key=lambda e: (e.stream_id, e.version)), report)
        return report

    def _open(self, envelope: Published) -> RecordedEvent:
        key = self._keys.get(envelope.subject_id) if envelope.subject_id else None
        return codec.open_event(envelope, self.types, key)

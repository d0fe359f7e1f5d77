"""In-memory event store for unit tests of domains and handlers; same contract as the PostgreSQL one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from shared.eventstore import chain, codec
from shared.eventstore.crypto import new_key
from shared.eventstore.port import ConcurrencyConflict, EventStore, SubjectErased, VerifyReport
from shared.events import NewEvent, RecordedEvent


class InMemoryEventStore(EventStore):
    def __init__(self, service: str = "memory") -> None:
        self.service = service
        self.rows: list[codec.Row] = []
        self._streams: dict[str, list[codec.Row]] = {}
        self._by_id: dict[str, codec.Row] = {}
        self._keys: dict[str, bytes | None] = {}

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], *, connection: Any = None
    ) -> list[RecordedEvent]:
        if not events:
            return []
        known = [self._by_id.get(str(event.event_id)) for event in events]
        if all(known):
            return [self._decode(row) for row in known if row]
        stream = self._streams.get(stream_id, [])
        if len(stream) != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, len(stream))
        keys = {}
        for event in events:
            if codec.needs_key(event):
                keys[event.subject_id] = self._key_for_writing(event.subject_id)
        prev_hash = stream[-1]["hash"] if stream else chain.GENESIS
        rows = codec.seal(stream_id, expected_version + 1, prev_hash, events, keys, {})
        for row in rows:
            row["position"] = len(self.rows) + 1
            self.rows.append(row)
            self._by_id[row["event_id"]] = row
        self._streams[stream_id] = stream + rows
        return [codec.just_recorded(row, event, self.service) for row, event in zip(rows, events)]

    def _key_for_writing(self, subject_id: str) -> bytes:
        if subject_id in self._keys and self._keys[subject_id] is None:
            raise SubjectErased(f"data subject {subject_id} has been erased; no personal data can be recorded")
        return self._keys.setdefault(subject_id, new_key())  # type: ignore[return-value]

    async def read_stream(self, stream_id: str, *, after_version: int = 0, connection: Any = None) -> list[RecordedEvent]:
        return [self._decode(row) for row in self._streams.get(stream_id, []) if row["version"] > after_version]

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return [self._decode(row) for row in self.rows[after_position : after_position + limit]]

    async def read_engagement(self, engagement_id: uuid.UUID) -> list[RecordedEvent]:
        wanted = str(engagement_id)
        return [self._decode(row) for row in self.rows if row["engagement_id"] == wanted]

    async def shred(self, subject_id: str, *, connection: Any = None) -> bool:
        existed = self._keys.get(subject_id) is not None
        self._keys[subject_id] = None
        return existed

    async def verify(self) -> VerifyReport:
        report = VerifyReport(store=self.service)
        ordered = sorted(self.rows, key=lambda row: (row["stream_id"], row["version"]))
        codec.verify_rows(ordered, report)
        return report

    def _decode(self, row: codec.Row) -> RecordedEvent:
        key = self._keys.get(row["subject_id"]) if row["subject_id"] else None
        return codec.decode(row, key, self.service)

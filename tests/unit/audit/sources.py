"""Published envelopes of the source services, sealed as their event stores would seal them (hash chains,
sealed personal fields), with the recording time in the test's hands."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from shared.events import Actor, DomainEvent, NewEvent
from shared.eventstore import chain, codec
from shared.eventstore.crypto import new_key

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


class SourceLog:
    def __init__(self, service: str) -> None:
        self.service = service
        self.heads: dict[str, tuple[int, bytes]] = {}

    def record(self, stream_id: str, payload: DomainEvent, *, when: dt.datetime, actor: Actor,
               engagement_id: uuid.UUID | None = None, causation_id: uuid.UUID | None = None,
               subject_id: str | None = None) -> dict[str, Any]:
        version, prev_hash = self.heads.get(stream_id, (0, chain.GENESIS))
        event = NewEvent(payload=payload, actor=actor, engagement_id=engagement_id, causation_id=causation_id,
                         subject_id=subject_id)
        keys = {subject_id: new_key()} if subject_id else {}
        trace = {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"}
        [row] = codec.seal(stream_id, version + 1, prev_hash, [event], keys, trace, recorded_at=when)
        self.heads[stream_id] = (version + 1, row["hash"])
        # Through JSON, as it travels on the bus.
        return json.loads(json.dumps(codec.envelope(row, self.service)))

"""Published envelopes of the source services, sealed as their event stores would seal them (hash chains,
sealed personal fields), with the recording time in the test's hands."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.envelope import Published
from shared.events import Actor, DomainEvent, NewEvent
from shared.eventstore import chain, codec
from shared.eventstore.crypto import new_key
from tests.subjects import subject_of

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


class SourceLog:
    def __init__(self, service: str) -> None:
        self.service = service
        self.heads: dict[str, tuple[int, bytes]] = {}

    def record(self, stream_id: str, payload: DomainEvent, *, when: dt.datetime, actor: Actor,
               engagement_id: uuid.UUID | None = None, causation_id: uuid.UUID | None = None,
               subject_id: str | None = None) -> Published:
        version, prev_hash = self.heads.get(stream_id, (0, chain.GENESIS))
        subject_id = subject_id or subject_of(payload)
        event = NewEvent(payload=payload, actor=actor, engagement_id=engagement_id, causation_id=causation_id,
                         subject_id=subject_id)
        keys = {subject_id: new_key()} if subject_id else {}
        trace = {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"}
        [sealed] = codec.seal(stream_id, version + 1, prev_hash, [event], keys, trace, service=self.service,
                              recorded_at=when)
        self.heads[stream_id] = (version + 1, sealed.hash)
        # Through JSON, as it travels on the bus and as the consumer decodes it.
        return Published.model_validate_json(sealed.model_dump_json())

"""The store's fast assembly of envelopes makes what pydantic's ``model_construct`` makes: a pydantic upgrade that
changed the model's inner attributes would fail here, not in a reader far away."""

import datetime as dt
import uuid
from typing import Any

from shared.envelope import Envelope, Published, assemble, envelope_of
from shared.events import Actor, DomainEvent, Role


class Noted(DomainEvent):
    text: str


def _fields(payload: Any) -> dict[str, Any]:
    return dict(event_id=uuid.uuid4(), stream_id="note-1", version=2, event_type="Noted", schema_version=1,
                recorded_at=dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), engagement_id=uuid.uuid4(),
                causation_id=None, correlation_id=uuid.uuid4(), subject_id="expert-1",
                actor=Actor(id="c1", role=Role.coordinator), trace={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16
                                                                    + "-01"},
                payload=payload, prev_hash=b"\0" * 32, hash=b"\1" * 32, position=7, service="orders")


def test_an_assembled_envelope_is_what_model_construct_makes():
    fields = _fields({"text": "hello"})
    made, constructed = assemble(Published, dict(fields)), Published.model_construct(**fields)
    assert made == constructed
    assert made.model_dump(mode="json") == constructed.model_dump(mode="json")
    assert made.model_fields_set == constructed.model_fields_set
    assert made.erased_fields == () and made.trace_id == "1" * 32
    assert made.model_copy(update={"version": 3}).version == 3


def test_a_typed_envelope_keeps_its_payload_and_its_erased_fields_apart_from_others():
    cls = envelope_of(Noted)
    assert cls is Envelope[Noted] and envelope_of(Noted) is cls
    first, second = assemble(cls, _fields(Noted(text="a"))), assemble(cls, _fields(Noted(text="b")))
    first._erased = ("text",)
    assert first.payload.text == "a" and first.erased_fields == ("text",) and second.erased_fields == ()


def test_fields_missing_fall_back_to_model_construct_with_its_defaults():
    fields = _fields({"text": "hello"})
    del fields["position"], fields["service"]
    made = assemble(Published, fields)
    assert (made.position, made.service) == (0, "")

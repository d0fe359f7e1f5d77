"""Fields that travelled in clear before and travel sealed now: events recorded in the old form still read, the
new form names whose key seals each field, and nothing personal is recorded without a key to seal it."""

from __future__ import annotations

import uuid

import pytest

from services.feedback.events import FeedbackSubmitted, Form
from services.orders.events import OfferDeclined
from services.registry.events import ExpertListed
from shared.envelope import Published
from shared.events import SYSTEM, NewEvent
from shared.eventstore import codec, crypto
from shared.eventstore.memory import InMemoryEventStore


def old_envelope(event_type: str, payload: dict, subject_id: str | None = None) -> Published:
    """An event as a store holds one recorded at schema version 1, before the field was sealed."""
    return Published.model_construct(
        event_id=uuid.uuid4(), stream_id="s-1", version=1, event_type=event_type, schema_version=1,
        recorded_at=None, engagement_id=None, causation_id=None, correlation_id=None, subject_id=subject_id,
        actor=SYSTEM, trace={}, payload=payload, prev_hash=b"", hash=b"", position=1, service="x")


def test_version_1_events_with_the_fields_in_clear_still_read():
    declined = codec.open_as(old_envelope("OfferDeclined", {
        "order_id": str(uuid.uuid4()), "offer_id": str(uuid.uuid4()), "expert_id": "maija", "reason": "relapse"}),
        OfferDeclined, None)
    assert declined.payload.reason == "relapse"
    listed = codec.open_as(old_envelope("ExpertListed", {
        "expert_id": "maija", "organization_ids": ["mieli"], "county_trained": False, "topics": ["eating"]}),
        ExpertListed, None)
    assert listed.payload.topics == ["eating"]


def test_a_version_1_self_assessment_keeps_the_wellbeing_rating_apart_when_read():
    ratings = {"preparation": 4, "own_wellbeing": 2, "experience_heard": 5, "would_do_again": 5}
    opened = codec.open_as(old_envelope("FeedbackSubmitted", {
        "engagement_id": str(uuid.uuid4()), "form": "self_assessment", "respondent_id": "maija",
        "ratings": ratings, "free_text": None}), FeedbackSubmitted, None)
    assert opened.payload.ratings == {"preparation": 4, "experience_heard": 5, "would_do_again": 5}
    assert opened.payload.sealed_ratings == {"own_wellbeing": 2}
    assert opened.payload.answers() == ratings


async def test_the_wellbeing_rating_travels_sealed_and_is_gone_with_the_experts_key():
    store = InMemoryEventStore("feedback", [FeedbackSubmitted])
    event = FeedbackSubmitted.of(uuid.uuid4(), Form.self_assessment, "maija",
                                 {"preparation": 4, "own_wellbeing": 2}, None)
    await store.append("feedback-1", 0, [NewEvent(event, SYSTEM, subject_id="maija")])
    [published] = store.published
    assert published.payload["ratings"] == {"preparation": 4}
    assert crypto.is_encrypted(published.payload["sealed_ratings"]) and "own_wellbeing" not in str(published.payload)
    assert (await store.read_stream("feedback-1"))[0].payload.answers() == {"preparation": 4, "own_wellbeing": 2}
    await store.shred("maija")
    [erased] = await store.read_stream("feedback-1")
    assert erased.payload.answers() == {"preparation": 4} and erased.erased_fields == ("sealed_ratings",)


async def test_personal_data_without_a_subject_to_seal_it_is_refused():
    store = InMemoryEventStore("orders", [OfferDeclined])
    declined = OfferDeclined(order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija", reason="relapse")
    with pytest.raises(ValueError, match=r"OfferDeclined holds personal data \(reason\)"):
        await store.append("order-1", 0, [NewEvent(declined, SYSTEM)])
    assert store.published == []

"""The audit's rules on their own: what an event concerns, its summary, and causal order."""

from __future__ import annotations

import datetime as dt
import uuid

from services.audit.domain import Engagement, SourceEvent, causal_order, engagements_concerned, summarize
from services.audit.events import TrailEntryRecorded
from services.orders.events import OfferAccepted, OfferMade
from services.registry.events import ExpertListed, ExpertRegistered
from shared.envelope import Published
from shared.events import Actor, Role
from tests.unit.audit.sources import SourceLog, at

CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
ENGAGEMENT = uuid.uuid4()
ORDER = uuid.uuid4()


def source(envelope: Published) -> SourceEvent:
    return SourceEvent.of(envelope)


def test_an_event_names_its_order_expert_and_engagement_from_envelope_or_payload():
    orders = SourceLog("orders")
    offer = source(orders.record(f"order-{ORDER}", OfferMade(
        order_id=ORDER, offer_id=uuid.uuid4(), expert_id="maija", expires_at=at(9)), when=at(0), actor=CONTACT))
    assert (offer.order_id, offer.expert_id, offer.engagement_id) == (str(ORDER), "maija", None)
    # Recorded without the engagement in its metadata: the payload still names it.
    accepted = source(orders.record(f"order-{ORDER}", OfferAccepted(
        order_id=ORDER, offer_id=uuid.uuid4(), expert_id="maija", engagement_id=ENGAGEMENT), when=at(1), actor=CONTACT))
    assert accepted.engagement_id == ENGAGEMENT and accepted.envelope.version == 2


def test_an_engagement_gathers_its_order_and_only_the_registrys_record_of_its_expert():
    engagement = Engagement(ENGAGEMENT, str(ORDER), "maija")
    registry, orders = SourceLog("registry"), SourceLog("orders")
    listed = source(registry.record("expert-maija", ExpertListed(
        expert_id="maija", organization_ids=["mieli"], county_trained=False, topics=["x"]), when=at(0), actor=CONTACT))
    other_listed = source(registry.record("expert-pekka", ExpertListed(
        expert_id="pekka", organization_ids=["mieli"], county_trained=False, topics=["x"]), when=at(0), actor=CONTACT))
    same_order = source(orders.record(f"order-{ORDER}", OfferMade(
        order_id=ORDER, offer_id=uuid.uuid4(), expert_id="pekka", expires_at=at(9)), when=at(1), actor=CONTACT))
    other_order = source(orders.record("order-other", OfferMade(
        order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija", expires_at=at(9)), when=at(1), actor=CONTACT))
    assert engagement.concerns(listed) and engagement.concerns(same_order)
    assert not engagement.concerns(other_listed) and not engagement.concerns(other_order)
    assert engagements_concerned(other_order, [engagement]) == set()
    assert engagements_concerned(listed, [engagement]) == {ENGAGEMENT}


def test_a_summary_leaves_out_personal_fields_sealed_or_not():
    registry = SourceLog("registry")
    sealed = registry.record("expert-maija", ExpertRegistered(
        expert_id="maija", organization_id="mieli", name="Maija", email="m@example.org"),
        when=at(0), actor=CONTACT, subject_id="maija")
    assert summarize("ExpertRegistered", sealed.payload) == {"expert_id": "maija", "organization_id": "mieli"}
    plain = {"expert_id": "maija", "organization_id": "mieli", "name": "Maija", "email": "m@example.org", "phone": None}
    assert summarize("ExpertRegistered", plain) == {"expert_id": "maija", "organization_id": "mieli"}
    assert len(summarize("Unknown", {"reason": "x" * 500})["reason"]) == 80


def entry(name: str, when: dt.datetime, *, service: str = "orders", stream: str = "s", version: int = 1,
          cause: uuid.UUID | None = None) -> TrailEntryRecorded:
    return TrailEntryRecorded(
        engagement_id=ENGAGEMENT, source_service=service, source_event_id=uuid.uuid5(ENGAGEMENT, name),
        source_stream_id=stream, source_version=version, source_hash="00", source_event_type=name,
        recorded_at=when, actor={"id": "a", "role": "system"}, causation_id=cause, trace_id=None, summary={})


def names(entries: list[TrailEntryRecorded]) -> list[str]:
    return [e.source_event_type for e in entries]


def test_causal_order_puts_a_reaction_after_its_cause_whatever_the_clocks_say():
    opened = entry("EngagementOpened", at(10), stream="engagement-1")
    drafted = entry("ContractDrafted", at(9), service="contracts", stream="contract-1", cause=opened.source_event_id)
    signed = entry("ContractSigned", at(9.5), service="contracts", stream="contract-1", version=2)
    placed = entry("OrderPlaced", at(1), stream="order-1")
    assert names(causal_order([signed, drafted, opened, placed])) == [
        "OrderPlaced", "EngagementOpened", "ContractDrafted", "ContractSigned"]


def test_causal_order_breaks_ties_by_time_then_service_then_version():
    a = entry("A", at(1), service="orders", stream="x", version=2)
    b = entry("B", at(1), service="contracts", stream="y")
    c = entry("C", at(0), service="registry", stream="z")
    d = entry("D", at(1), service="orders", stream="x", version=1)
    assert names(causal_order([a, b, c, d])) == ["C", "B", "D", "A"]


def test_a_cause_outside_the_trail_does_not_hold_an_entry_back():
    lonely = entry("Lonely", at(5), cause=uuid.uuid4())
    first = entry("First", at(1), stream="t")
    assert names(causal_order([lonely, first])) == ["First", "Lonely"]

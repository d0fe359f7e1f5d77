"""A small engagement as the four sources publish it, with what its audit trail must hold."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from services.contracts.events import ContractDrafted
from services.feedback.events import FeedbackRequested, Form
from services.orders.events import (
    DeliveryConfirmed,
    EngagementOpened,
    FeeMode,
    FeeTerms,
    OfferAccepted,
    OfferMade,
    OrderPlaced,
    TaskType,
)
from services.registry.events import (
    ConsentGiven,
    ExpertJoinedOrganization,
    ExpertListed,
    ExpertRegistered,
    TrainingCompleted,
)
from shared.envelope import Published
from shared.events import Actor, Role
from tests.unit.audit.sources import SourceLog, at

AUDITOR = Actor(id="auditor-1", role=Role.auditor)
COORDINATOR = Actor(id="coord", role=Role.coordinator, organization_id="varha")
CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
MAIJA = Actor(id="maija", role=Role.expert)
SCHOOL = Actor(id="school-1", role=Role.orderer, organization_id="turku-amk")
SYSTEM = Actor(id="system", role=Role.system)
FEE = FeeTerms(mode=FeeMode.orderer, hourly_fee=Decimal("50"))


@dataclass
class Scenario:
    """Two orders and two experts; engagement ``engagement_id`` is Maija's in order one."""

    envelopes: list[Published] = field(default_factory=list)
    engagement_id: uuid.UUID = field(default_factory=uuid.uuid4)
    names: dict[str, uuid.UUID] = field(default_factory=dict)
    expected: set[uuid.UUID] = field(default_factory=set)

    def add(self, name: str, envelope: Published, *, in_trail: bool) -> uuid.UUID:
        event_id = envelope.event_id
        self.envelopes.append(envelope)
        self.names[name] = event_id
        if in_trail:
            self.expected.add(event_id)
        return event_id


def build_scenario() -> Scenario:
    s = Scenario()
    registry, orders = SourceLog("registry"), SourceLog("orders")
    contracts, feedback = SourceLog("contracts"), SourceLog("feedback")
    order_one, order_two = uuid.uuid4(), uuid.uuid4()
    offer, other_offer = uuid.uuid4(), uuid.uuid4()
    contract = uuid.uuid4()
    engagement = s.engagement_id
    expert_stream = "expert-maija"

    s.add("registered", registry.record(expert_stream, ExpertRegistered(
        expert_id="maija", organization_id="mieli", name="Maija Meikäläinen", email="maija@example.org",
        experience="lived experience of depression"), when=at(0), actor=CONTACT, subject_id="maija"), in_trail=True)
    s.add("trained", registry.record(expert_stream, TrainingCompleted(
        expert_id="maija", training="basic training", completed_on=dt.date(2026, 1, 20), trained_by="mieli"),
        when=at(1), actor=CONTACT), in_trail=True)
    s.add("consented", registry.record(expert_stream, ConsentGiven(expert_id="maija"), when=at(2), actor=MAIJA),
          in_trail=True)
    s.add("listed", registry.record(expert_stream, ExpertListed(
        expert_id="maija", organization_ids=["mieli"], county_trained=False, topics=["mental health"]),
        when=at(3), actor=CONTACT), in_trail=True)
    s.add("other expert listed", registry.record("expert-pekka", ExpertListed(
        expert_id="pekka", organization_ids=["mieli"], county_trained=False, topics=["substance use"]),
        when=at(3.5), actor=CONTACT), in_trail=False)

    placed = s.add("placed", orders.record(f"order-{order_one}", OrderPlaced(
        order_id=order_one, orderer_id="school-1", orderer_organization_id="turku-amk", county_service=False,
        task_type=TaskType.lecture, topic="Lived experience in nursing education", date=dt.date(2026, 4, 15),
        duration_hours=Decimal("2"), place="Turku", remote=False, experts_wanted=2, fee=FEE),
        when=at(10), actor=SCHOOL), in_trail=True)
    s.add("offer to maija", orders.record(f"order-{order_one}", OfferMade(
        order_id=order_one, offer_id=offer, expert_id="maija", expires_at=at(60 * 24 * 7)),
        when=at(11), actor=COORDINATOR, causation_id=placed), in_trail=True)
    s.add("offer to pekka", orders.record(f"order-{order_one}", OfferMade(
        order_id=order_one, offer_id=other_offer, expert_id="pekka", expires_at=at(60 * 24 * 7)),
        when=at(11.5), actor=COORDINATOR, causation_id=placed), in_trail=True)
    other_order = s.add("other order", orders.record(f"order-{order_two}", OrderPlaced(
        order_id=order_two, orderer_id="school-2", orderer_organization_id=None, county_service=True,
        task_type=TaskType.development_group, topic="Service design", date=dt.date(2026, 5, 2),
        duration_hours=Decimal("3"), place=None, remote=True, experts_wanted=1, fee=FEE),
        when=at(12), actor=SCHOOL), in_trail=False)
    s.add("other order's offer to maija", orders.record(f"order-{order_two}", OfferMade(
        order_id=order_two, offer_id=uuid.uuid4(), expert_id="maija", expires_at=at(60 * 24 * 7)),
        when=at(12.5), actor=COORDINATOR, causation_id=other_order), in_trail=False)
    accepted = s.add("accepted", orders.record(f"order-{order_one}", OfferAccepted(
        order_id=order_one, offer_id=offer, expert_id="maija", engagement_id=engagement),
        when=at(20), actor=MAIJA, engagement_id=engagement), in_trail=True)
    opened = s.add("opened", orders.record(f"engagement-{engagement}", EngagementOpened(
        engagement_id=engagement, order_id=order_one, offer_id=offer, expert_id="maija", orderer_id="school-1",
        task_type=TaskType.lecture, topic="Lived experience in nursing education", date=dt.date(2026, 4, 15),
        duration_hours=Decimal("2"), remote=False, fee=FEE),
        when=at(20), actor=SYSTEM, engagement_id=engagement, causation_id=accepted), in_trail=True)
    # The contracts service's clock runs behind: its reaction is stamped before its cause.
    s.add("drafted", contracts.record(f"contract-{contract}", ContractDrafted(
        contract_id=contract, engagement_id=engagement, expert_id="maija", orderer_id="school-1",
        fee_basis="orderer", rate_table_id=None, hourly_fee=Decimal("50"), fixed_fee=None,
        minimum_fee=Decimal("0"), mileage_per_km=Decimal("0.25"), expenses_reimbursed=True,
        cancellation_fee_share=Decimal("0.5")),
        when=at(19), actor=SYSTEM, engagement_id=engagement, causation_id=opened), in_trail=True)
    delivered = s.add("delivered", orders.record(f"engagement-{engagement}", DeliveryConfirmed(
        engagement_id=engagement, actual_hours=Decimal("2"), kilometres=Decimal("12")),
        when=at(60), actor=SCHOOL, engagement_id=engagement), in_trail=True)
    for form, respondent in ((Form.self_assessment, "maija"), (Form.orderer_feedback, "school-1")):
        s.add(f"requested {form.value}", feedback.record(f"feedback-{engagement}-{form.value}", FeedbackRequested(
            engagement_id=engagement, form=form, respondent_id=respondent),
            when=at(61), actor=SYSTEM, engagement_id=engagement, causation_id=delivered), in_trail=True)
    # The expert's registry record goes on after the engagement opened; it still belongs to the trail.
    s.add("joined", registry.record(expert_stream, ExpertJoinedOrganization(expert_id="maija", organization_id="varha"),
          when=at(90), actor=COORDINATOR), in_trail=True)
    return s

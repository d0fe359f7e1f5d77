"""The views contract for the audit: engagements and their events from every service."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from services.audit.domain import Engagement as AuditEngagement, SourceEvent
from services.feedback import events as feedback
from services.feedback.events import Form
from services.orders import events as orders
from services.orders.events import TaskType
from services.registry import events as registry
from services.registry.events import OrganizationKind
from shared.events import DomainEvent
from tests.contract.feed import AT, FEE, as_set, drafted, ids, opened


async def test_audit(views_of):
    async with views_of("audit") as feed:
        views = feed.views
        order_a, order_b, order_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        e1, e2 = ids(2)
        kept: dict[str, SourceEvent] = {}

        async def published(name: str, stream_id: str, payload: DomainEvent,
                            engagement_id: uuid.UUID | None = None) -> SourceEvent:
            """A source service records the event; the audit receives it as published."""
            event = await feed.record(stream_id, payload, engagement_id=engagement_id)
            kept[name] = SourceEvent.of(await feed.published(event))
            return kept[name]

        async def keep(source: SourceEvent) -> bool:
            async with feed.transaction() as connection:  # as the audit's consumer does
                await views.lock(source.lock_keys(), connection)
                return await views.keep(source, connection)

        order = orders.OrderPlaced(
            order_id=order_a, orderer_id="school-1", orderer_organization_id="school-org", county_service=False,
            task_type=TaskType.lecture, topic="recovery", date=dt.date(2026, 3, 20), duration_hours=Decimal("2"),
            place="Turku", remote=False, experts_wanted=1, fee=FEE)
        await published("organization", "organization-mieli", registry.OrganizationRegistered(
            organization_id="mieli", name="Mieli ry", kind=OrganizationKind.ngo))
        await published("maija trained", "expert-maija", registry.TrainingCompleted(
            expert_id="maija", training="basic", completed_on=dt.date(2025, 11, 1), trained_by="mieli"))
        await published("maija listed", "expert-maija", registry.ExpertListed(
            expert_id="maija", organization_ids=["mieli"], county_trained=False, topics=["recovery"]))
        await published("pekka listed", "expert-pekka", registry.ExpertListed(
            expert_id="pekka", organization_ids=["county"], county_trained=True, topics=["recovery"]))
        await published("order a", f"order-{order_a}", order)
        made = orders.OfferMade(order_id=order_a, offer_id=uuid.uuid4(), expert_id="maija", expires_at=AT)
        await published("offer a", f"order-{order_a}", made)
        await published("accepted a", f"order-{order_a}", orders.OfferAccepted(  # names e1 in its payload only
            order_id=order_a, offer_id=made.offer_id, expert_id="maija", engagement_id=e1))
        opened_e1 = opened(e1, "maija", "school-1", dt.date(2026, 3, 20)).model_copy(update={"order_id": order_a})
        await published("opened e1", f"engagement-{e1}", opened_e1, e1)
        await published("contract e1", f"contract-{e1}", drafted(e1, "maija", "school-1", "orderer"), e1)
        await published("delivered e1", f"engagement-{e1}", orders.DeliveryConfirmed(
            engagement_id=e1, actual_hours=Decimal("2"), kilometres=Decimal("14")), e1)
        await published("feedback e1", f"feedback-{e1}", feedback.FeedbackRequested(
            engagement_id=e1, form=Form.self_assessment, respondent_id="maija"), e1)
        await published("order b", f"order-{order_b}", order.model_copy(update={"order_id": order_b}))
        await published("offer b", f"order-{order_b}", orders.OfferMade(
            order_id=order_b, offer_id=uuid.uuid4(), expert_id="pekka", expires_at=AT))
        await published("offer c", f"order-{order_c}", orders.OfferMade(  # maija again, in another order
            order_id=order_c, offer_id=uuid.uuid4(), expert_id="maija", expires_at=AT))
        opened_e2 = opened(e2, "pekka", "school-1", dt.date(2026, 3, 21)).model_copy(update={"order_id": order_b})
        await published("opened e2", f"engagement-{e2}", opened_e2, e2)

        for source in kept.values():
            assert await keep(source)
        assert not await keep(kept["offer a"])  # delivered again: kept once

        engagement_1 = AuditEngagement.opened_by(kept["opened e1"])
        engagement_2 = AuditEngagement.opened_by(kept["opened e2"])
        assert engagement_1 == AuditEngagement(e1, str(order_a), "maija")
        await feed.within(views.add_engagement, engagement_1, kept["opened e1"].event_id)
        await feed.within(views.add_engagement, engagement_1, kept["opened e1"].event_id)  # once
        await feed.within(views.add_engagement, engagement_2, kept["opened e2"].event_id)

        async def engagements_near(name: str) -> set[AuditEngagement]:
            return as_set(await feed.within(views.engagements_near, kept[name]))

        # Known engagements sharing the event's engagement, order or expert.
        assert await engagements_near("contract e1") == {engagement_1}  # its engagement (and expert)
        assert await engagements_near("order a") == {engagement_1}  # its order
        assert await engagements_near("accepted a") == {engagement_1}  # the engagement its payload names
        assert await engagements_near("maija trained") == {engagement_1}  # its expert
        assert await engagements_near("offer c") == {engagement_1}  # the expert, though another order
        assert await engagements_near("pekka listed") == {engagement_2}
        assert await engagements_near("offer b") == {engagement_2}
        assert await engagements_near("organization") == set()

        def by_id(sources: Iterable[SourceEvent]) -> dict[uuid.UUID, SourceEvent]:
            found = list(sources)
            assert len(found) == len({s.event_id for s in found}), "an event named twice"
            return {s.event_id: s for s in found}

        def named(*names: str) -> dict[uuid.UUID, SourceEvent]:
            return by_id(kept[name] for name in names)

        # Kept events sharing the engagement's id, order or expert, each as it was published.
        assert by_id(await feed.within(views.events_near, engagement_1)) == named(
            "maija trained", "maija listed", "order a", "offer a", "accepted a", "opened e1", "contract e1",
            "delivered e1", "feedback e1", "offer c")
        assert by_id(await feed.within(views.events_near, engagement_2)) == named(
            "pekka listed", "order b", "offer b", "opened e2")
        assert by_id(await feed.within(views.events_near, AuditEngagement(uuid.uuid4(), None, None))) == {}

        async def claim(engagement_id: uuid.UUID, *names: str) -> set[str]:
            """Link the named events into the engagement's trail: the names of those not linked before."""
            claimed = await feed.within(views.claim_links, engagement_id, [kept[name].event_id for name in names])
            name_of = {source.event_id: name for name, source in kept.items()}
            return {name_of[event_id] for event_id in claimed}

        assert await claim(e1, "order a", "offer a") == {"order a", "offer a"}
        assert await claim(e1, "offer a", "opened e1") == {"opened e1"}
        assert await claim(e1, "order a") == set()
        assert await claim(e2, "offer a", "opened e2") == {"offer a", "opened e2"}  # another trail

        per_service = {"contracts": 1, "feedback": 1, "orders": 9, "registry": 4}
        assert await views.counts() == {"source_events": per_service, "trail_entries": 5, "engagements": 2}
        assert await views.counts(e1) == {"source_events": per_service, "trail_entries": 3, "engagements": 1}
        assert await views.counts(uuid.uuid4()) == {"source_events": per_service, "trail_entries": 0, "engagements": 0}

        # Each service's copies, ordered by stream and version.
        for service in ("registry", "orders", "contracts", "feedback"):
            copies = [envelope async for envelope in views.copies(service)]
            expected = sorted((s.envelope for s in kept.values() if s.envelope.service == service),
                              key=lambda e: (e.stream_id, e.version))
            assert [(e.stream_id, e.version) for e in copies] == [(e.stream_id, e.version) for e in expected]
            assert copies == expected
        assert [envelope async for envelope in views.copies("audit")] == []

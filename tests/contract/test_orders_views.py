"""The views contract for orders: the registry's facts it keeps, offers, engagements, orders."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from services.orders import events as orders
from services.orders.domain import (
    Agreement,
    Booking,
    Credentials,
    EngagementStatus,
    ListedExpert,
    Membership,
    OfferStatus,
)
from services.orders.events import TaskType
from services.registry import events as registry
from services.registry.events import OrganizationKind
from shared.envelope import RecordedEvent
from shared.events import DomainEvent
from tests.contract.feed import AT, FEE, as_set, ids, opened


def offer(order_id: uuid.UUID, expert_id: str, expires_at: dt.datetime) -> orders.OfferMade:
    return orders.OfferMade(order_id=order_id, offer_id=uuid.uuid4(), expert_id=expert_id, expires_at=expires_at)


def summary(e: orders.EngagementOpened, status: EngagementStatus) -> dict[str, Any]:
    return {"engagement_id": e.engagement_id, "order_id": e.order_id, "offer_id": e.offer_id,
            "expert_id": e.expert_id, "orderer_id": e.orderer_id, "task_type": e.task_type.value, "date": e.date,
            "status": status.value}


async def test_orders_registry_facts(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        for organization_id, kind in (("county", OrganizationKind.county), ("mieli", OrganizationKind.ngo),
                                      ("kuntoutus", OrganizationKind.ngo)):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=organization_id.title(), kind=kind))
        for agreement_id, valid_from, valid_until in (("mieli-2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                                                      ("mieli-2026", dt.date(2026, 1, 1), None)):
            await feed.follow("organization-mieli", registry.OrganizationAgreementSigned(
                organization_id="mieli", agreement_id=agreement_id, valid_from=valid_from, valid_until=valid_until))
        await feed.follow("organization-mieli", registry.OrganizationAgreementEnded(
            organization_id="mieli", agreement_id="mieli-2025", ended_on=dt.date(2025, 9, 30)))

        listings = {
            "maija": (["mieli", "kuntoutus"], False), "pekka": (["county"], True), "liisa": (["mieli"], False),
            "aino": (["unknown-ngo"], False),  # an organization orders has not heard of
        }
        for expert_id, (organization_ids, county_trained) in listings.items():
            await feed.follow(f"expert-{expert_id}", registry.ExpertListed(
                expert_id=expert_id, organization_ids=organization_ids, county_trained=county_trained,
                topics=["recovery"]))
        await feed.follow("expert-pekka", registry.ExpertUnlisted(expert_id="pekka", reason="on leave"))
        await feed.follow("expert-liisa", registry.ExpertErased(expert_id="liisa"))
        await feed.follow("expert-aino", registry.ExpertListed(  # listed again, now county trained
            expert_id="aino", organization_ids=["unknown-ngo", "county"], county_trained=True, topics=["recovery"]))

        maija = await views.listed_expert("maija")
        assert (maija.expert_id, maija.county_trained) == ("maija", False)
        # Which agreements an organization has; the port does not order them.
        assert [(m.organization_id, m.is_ngo, set(m.agreements)) for m in maija.memberships] == [
            ("mieli", True, {Agreement(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30)),
                             Agreement(dt.date(2026, 1, 1))}),
            ("kuntoutus", True, set()),
        ]
        assert await views.listed_expert("aino") == ListedExpert("aino", True, (
            Membership("unknown-ngo", is_ngo=False), Membership("county", is_ngo=False)))
        assert await views.listed_expert("pekka") is None  # unlisted
        assert await views.listed_expert("liisa") is None  # erased
        assert await views.listed_expert("stranger") is None

        # The days of the week each expert takes assignments on; their dates away reach orders sealed.
        for weekdays in ([1, 2, 3, 4, 5, 6, 7], [2, 4]):
            await feed.follow("expert-maija", registry.AvailabilityChanged(expert_id="maija", weekdays=weekdays))
        await feed.follow("expert-aino", registry.AvailabilityChanged(expert_id="aino", weekdays=[6, 7]))
        await feed.follow("expert-aino", registry.ExpertErased(expert_id="aino"))
        assert await views.weekdays("maija") == frozenset({2, 4})  # the latest
        assert await views.weekdays("aino") is None  # erased
        assert await views.weekdays("pekka") is None  # never said

        until = dt.date(2026, 12, 31)
        await feed.follow("orderer-school-1", registry.OrdererCredentialsGranted(
            orderer_id="school-1", orderer_name="Koulu", organization_id="school-org", valid_until=until))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsGranted(
            orderer_id="clinic-1", orderer_name="Klinikka", organization_id="county"))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsRevoked(orderer_id="clinic-1", reason="left"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsGranted(
            orderer_id="ward-1", orderer_name="Osasto"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsRevoked(orderer_id="ward-1", reason="moved"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsGranted(
            orderer_id="ward-1", orderer_name="Osasto", organization_id="county", valid_until=until))

        assert await views.credentials("school-1") == Credentials("school-1", "school-org", until)
        assert await views.credentials("clinic-1") == Credentials("clinic-1", "county", None, revoked=True)
        assert await views.credentials("ward-1") == Credentials("ward-1", "county", until)
        assert await views.credentials("stranger") is None


async def test_orders_offers_and_engagements(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        due_first, due_later, accepted, moved_earlier, moved_later, closed_offers = (uuid.uuid4() for _ in range(6))
        hour = dt.timedelta(hours=1)

        await feed.follow(f"order-{due_first}", offer(due_first, "maija", AT))
        await feed.follow(f"order-{due_first}", offer(due_first, "pekka", AT + 48 * hour))
        await feed.follow(f"order-{due_later}", offer(due_later, "maija", AT + 24 * hour))
        taken = await feed.follow(f"order-{accepted}", offer(accepted, "maija", AT - hour))
        await feed.follow(f"order-{accepted}", orders.OfferAccepted(
            order_id=accepted, offer_id=taken.payload.offer_id, expert_id="maija", engagement_id=uuid.uuid4()))
        # The task moves to 9 March: its open offer now ends when that day begins (in Finland).
        await feed.follow(f"order-{moved_earlier}", offer(moved_earlier, "liisa", AT + 240 * hour))
        await feed.follow(f"order-{moved_earlier}", orders.OrderChanged(
            order_id=moved_earlier, date=dt.date(2026, 3, 9)))
        # A later day or another change leaves an offer's end where it was.
        await feed.follow(f"order-{moved_later}", offer(moved_later, "liisa", AT + 24 * hour))
        await feed.follow(f"order-{moved_later}", orders.OrderChanged(order_id=moved_later, date=dt.date(2026, 4, 1)))
        await feed.follow(f"order-{moved_later}", orders.OrderChanged(order_id=moved_later, topic="peer support"))
        for ended in (orders.OfferDeclined, orders.OfferExpired, orders.OfferWithdrawn):
            made = await feed.follow(f"order-{closed_offers}", offer(closed_offers, "aino", AT - hour))
            reason = {"reason": "no"} if ended is not orders.OfferExpired else {}
            await feed.follow(f"order-{closed_offers}", ended(
                order_id=closed_offers, offer_id=made.payload.offer_id, expert_id="aino", **reason))

        assert as_set(await views.orders_with_offers_due(AT - dt.timedelta(microseconds=1))) == {moved_earlier}
        assert as_set(await views.orders_with_offers_due(AT)) == {due_first, moved_earlier}
        assert as_set(await views.orders_with_offers_due(AT + 24 * hour)) == {
            due_first, due_later, moved_earlier, moved_later}
        assert as_set(await views.orders_with_offers_due(AT + 1000 * hour)) == {
            due_first, due_later, moved_earlier, moved_later}

        # Engagements, opened in id order, so that newest first is not id order.
        e1, e2, e3, e4, e5 = ids(5)
        day = dt.date(2026, 3, 20)
        opening = [opened(e1, "maija", "school-1", day), opened(e2, "pekka", "school-1", day),
                   opened(e3, "maija", "clinic-1", day), opened(e4, "liisa", "school-1", day),
                   opened(e5, "pekka", "clinic-1", day + dt.timedelta(days=1))]
        for e in opening:
            await feed.follow(f"engagement-{e.engagement_id}", e, engagement_id=e.engagement_id)

        async def step(engagement_id: uuid.UUID, *events: DomainEvent) -> None:
            for event in events:
                await feed.follow(f"engagement-{engagement_id}", event, engagement_id=engagement_id)

        def confirmed(e: uuid.UUID) -> orders.EngagementConfirmed:
            return orders.EngagementConfirmed(engagement_id=e, contract_id=uuid.uuid4())

        def delivered(e: uuid.UUID) -> orders.DeliveryConfirmed:
            return orders.DeliveryConfirmed(engagement_id=e, actual_hours=Decimal("2"), kilometres=Decimal("14"))

        await step(e1, confirmed(e1), delivered(e1),
                   orders.FeeApprovalNoted(engagement_id=e1, contract_id=uuid.uuid4()),
                   orders.FeedbackCompletionNoted(engagement_id=e1), orders.EngagementClosed(engagement_id=e1))
        await step(e2, confirmed(e2))
        await step(e3, confirmed(e3), orders.EngagementCancelled(
            engagement_id=e3, cancelled_by="orderer", reason="the class was cancelled", after_signing=True))
        # Feedback completed before the fee was approved: the furthest step shows, whatever came last.
        await step(e5, confirmed(e5), delivered(e5), orders.FeedbackCompletionNoted(engagement_id=e5),
                   orders.FeeApprovalNoted(engagement_id=e5, contract_id=uuid.uuid4()))
        never_opened = uuid.uuid4()
        await step(never_opened, orders.EngagementClosed(engagement_id=never_opened))

        S = EngagementStatus
        rows = dict(zip((e1, e2, e3, e4, e5), (summary(e, s) for e, s in zip(opening, (
            S.closed, S.confirmed, S.cancelled, S.opened, S.feedback_complete), strict=True)), strict=True))

        def summaries(*engagement_ids: uuid.UUID) -> list[dict[str, Any]]:
            return [rows[e] for e in engagement_ids]

        assert await views.engagements() == summaries(e5, e4, e3, e2, e1)
        assert await views.engagements(orderer_id="school-1") == summaries(e4, e2, e1)
        assert await views.engagements(expert_id="maija") == summaries(e3, e1)
        assert await views.engagements(status=S.confirmed) == summaries(e2)
        assert await views.engagements(status=S.closed) == summaries(e1)
        assert await views.engagements(status=S.cancelled) == summaries(e3)
        assert await views.engagements(status=S.opened) == summaries(e4)
        assert await views.engagements(status=S.feedback_complete) == summaries(e5)
        assert await views.engagements(status=S.delivered) == []
        assert await views.engagements(orderer_id="clinic-1", expert_id="pekka") == summaries(e5)
        assert await views.engagements(orderer_id="school-1", status=S.confirmed) == summaries(e2)
        assert await views.engagements(orderer_id="school-1", expert_id="maija", status=S.cancelled) == []
        assert await views.engagements(orderer_id="stranger") == []

        # An expert's bookings of a day, for refusing a double booking: every engagement that day but a cancelled one.
        assert await views.bookings("maija", day) == (Booking(day, None, Decimal("2"), e1),)
        assert await views.bookings("pekka", day + dt.timedelta(days=1)) == (
            Booking(day + dt.timedelta(days=1), None, Decimal("2"), e5),)
        assert await views.bookings("liisa", day + dt.timedelta(days=1)) == ()
        # A change the expert accepted moves the booking to its new day and time.
        await step(e1, orders.EngagementChangeAccepted(engagement_id=e1, expert_id="maija",
                                                       date=day + dt.timedelta(days=2), start_time=dt.time(9)))
        assert await views.bookings("maija", day) == ()
        assert await views.bookings("maija", day + dt.timedelta(days=2)) == (
            Booking(day + dt.timedelta(days=2), dt.time(9), Decimal("2"), e1),)

        # Engagements whose feedback forms' answer period may have ended: delivered before the day, fee approved,
        # feedback not complete, not closed (e5's feedback is complete, e1 is closed).
        await step(e2, orders.DeliveryConfirmed(engagement_id=e2, actual_hours=Decimal("2"), kilometres=Decimal("0"),
                                                delivered_on=day),
                   orders.FeeApprovalNoted(engagement_id=e2, contract_id=uuid.uuid4()))
        assert await views.engagements_awaiting_feedback(delivered_before=day) == []
        assert await views.engagements_awaiting_feedback(delivered_before=day + dt.timedelta(days=1)) == [e2]


def placed(order_id: uuid.UUID, orderer_id: str) -> orders.OrderPlaced:
    return orders.OrderPlaced(
        order_id=order_id, orderer_id=orderer_id, orderer_organization_id=None, county_service=False,
        task_type=TaskType.lecture, topic="recovery", date=dt.date(2026, 3, 20), duration_hours=Decimal("2"),
        place=None, remote=True, experts_wanted=2, fee=FEE)


async def test_orders_an_experts_offers_and_an_orderers_orders(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        first, second, others = ids(3)  # placed in id order: newest first is not id order
        for order_id, orderer_id in ((first, "school-1"), (others, "clinic-1"), (second, "school-1")):
            await feed.follow(f"order-{order_id}", placed(order_id, orderer_id))
        assert await views.orders_of("school-1") == [second, first]
        assert await views.orders_of("clinic-1") == [others]
        assert await views.orders_of("stranger") == []

        hour = dt.timedelta(hours=1)
        soon = await feed.follow(f"order-{first}", offer(first, "maija", AT))
        later = await feed.follow(f"order-{second}", offer(second, "maija", AT + hour))
        await feed.follow(f"order-{second}", offer(second, "pekka", AT + 2 * hour))
        await feed.follow(f"order-{first}", orders.OfferDeclined(
            order_id=first, offer_id=soon.payload.offer_id, expert_id="maija", reason="busy"))

        def row(made: RecordedEvent, status: str) -> dict[str, Any]:
            e = made.payload
            return {"offer_id": e.offer_id, "order_id": e.order_id, "expert_id": e.expert_id,
                    "expires_at": e.expires_at, "status": status}

        assert await views.offers_to("maija") == [row(later, "open"), row(soon, "declined")]
        assert await views.offers_to("maija", OfferStatus.open) == [row(later, "open")]
        assert await views.offers_to("maija", OfferStatus.accepted) == []
        assert [o["expert_id"] for o in await views.offers_to("pekka")] == ["pekka"]

"""What the orders handlers read besides their streams: the port, and its in-memory fake for unit tests.

The views follow the orders service's own events (offers, engagements) and the registry's (listings,
organizations and their agreements, credentials). :mod:`services.orders.projections` keeps them in
PostgreSQL; one contract test (``tests/contract/test_views.py``) runs against both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.orders import events as ev
from services.orders.domain import (
    Agreement,
    Booking,
    Credentials,
    EngagementStatus,
    ListedExpert,
    Membership,
    OfferStatus,
    engagement_status,
)
from services.orders.routing_views import SUMMARY, InMemoryRoutingViews
from services.registry import events as registry
from services.registry.events import OrganizationKind
from shared.clock import TIMEZONE, start_of
from shared.envelope import Envelope


def delivered_on(e: ev.DeliveryConfirmed, event: Envelope[Any]) -> dt.date:
    """The day the delivery was confirmed: as the event says, or (recorded before it said) the day it was recorded."""
    return e.delivered_on or event.recorded_at.astimezone(TIMEZONE).date()


FLAGS = ("confirmed", "delivered", "fee_approved", "feedback_complete", "closed", "cancelled")


class OrdersViews(Protocol):
    async def project(self, event: Envelope[Any], connection: Any) -> None:
        """Follow one of the orders service's own events, or one of the registry's."""
        ...

    async def credentials(self, orderer_id: str) -> Credentials | None:
        """The orderer's credentials as last granted or revoked, or None if never granted."""
        ...

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        """The expert with their organizations and those organizations' agreements, or None if not listed."""
        ...

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        """The orders that have an open offer whose time is up at ``now``."""
        ...

    async def bookings(self, expert_id: str, date: dt.date) -> tuple[Booking, ...]:
        """When the expert is already engaged on the day: their engagements that day not cancelled."""
        ...

    async def weekdays(self, expert_id: str) -> frozenset[int] | None:
        """The days of the week (1 Monday … 7 Sunday) the expert takes assignments on; None if they never said."""
        ...

    async def engagements_awaiting_feedback(self, *, delivered_before: dt.date) -> list[uuid.UUID]:
        """Engagements delivered before the day, their fee approved, a feedback form still missing, not closed."""
        ...

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        """Engagement summaries (ids, date, status), newest first, narrowed by the arguments given."""
        ...

    async def offers_to(self, expert_id: str, status: OfferStatus | None = None) -> list[dict[str, Any]]:
        """The offers made to the expert (offer and order ids, expiry, status), latest expiry first."""
        ...

    async def orders_of(self, orderer_id: str) -> list[uuid.UUID]:
        """The ids of the orders the orderer placed, newest first."""
        ...

    async def trained_member(self, expert_id: str) -> ListedExpert | None:
        """The expert, listed or not, if they completed a basic training, are active and belong to an organization:
        with their organizations and those organizations' agreements. None otherwise."""
        ...

    async def organization_kind(self, organization_id: str) -> str | None:
        """The kind of organization the registry registered ("county" or "ngo"), or None if it knows none such."""
        ...

    async def incoming_orders(self, organization_id: str) -> list[uuid.UUID]:
        """The orders addressed to the organization now, not cancelled, oldest first."""
        ...

    async def orders_to_route(self) -> list[uuid.UUID]:
        """The orders waiting for the coordinator to route them, not cancelled, oldest first."""
        ...

    async def county_engagements_ahead(self, today: dt.date) -> list[dict[str, Any]]:
        """Engagements in the county's services still to be done on or after ``today`` (engagement_id, expert_id,
        date, agreement_lapsed), soonest first."""
        ...

    async def engagements_needing_attention(self) -> list[dict[str, Any]]:
        """Engagement summaries (as :meth:`engagements`, with ``attention``: why) flagged to the coordinator and still
        to be done, soonest first."""
        ...


@dataclass
class _Offer:
    order_id: uuid.UUID
    expert_id: str
    expires_at: dt.datetime
    status: OfferStatus = OfferStatus.open


@dataclass
class InMemoryOrdersViews(InMemoryRoutingViews):
    listed: dict[str, tuple[list[str], bool]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    agreements: dict[tuple[str, str], Agreement] = field(default_factory=dict)
    orderers: dict[str, Credentials] = field(default_factory=dict)
    offers: dict[uuid.UUID, _Offer] = field(default_factory=dict)
    placed: dict[uuid.UUID, tuple[str, dt.datetime]] = field(default_factory=dict)  # order -> orderer, placed at
    available_on: dict[str, frozenset[int]] = field(default_factory=dict)  # expert -> weekdays

    # -- the registry's facts ---------------------------------------------------------------------------

    async def on_ExpertListed(self, e: registry.ExpertListed, connection: Any, _: Envelope[Any]) -> None:
        self.listed[e.expert_id] = (list(e.organization_ids), e.county_trained)

    async def on_ExpertUnlisted(self, e: registry.ExpertUnlisted, connection: Any, _: Envelope[Any]) -> None:
        self.listed.pop(e.expert_id, None)

    async def on_ExpertErased(self, e: registry.ExpertErased, connection: Any, _: Envelope[Any]) -> None:
        self.listed.pop(e.expert_id, None)
        self.members.pop(e.expert_id, None)
        self.available_on.pop(e.expert_id, None)

    async def on_AvailabilityChanged(self, e: registry.AvailabilityChanged, connection: Any, _: Envelope[Any]) -> None:
        self.available_on[e.expert_id] = frozenset(e.weekdays)

    async def on_OrganizationRegistered(self, e: registry.OrganizationRegistered, connection: Any,
                                        _: Envelope[Any]) -> None:
        self.kinds[e.organization_id] = e.kind.value

    async def on_OrganizationAgreementSigned(self, e: registry.OrganizationAgreementSigned, connection: Any,
                                             _: Envelope[Any]) -> None:
        self.agreements[(e.organization_id, e.agreement_id)] = Agreement(e.valid_from, e.valid_until)

    async def on_OrganizationAgreementEnded(self, e: registry.OrganizationAgreementEnded, connection: Any,
                                            _: Envelope[Any]) -> None:
        key = (e.organization_id, e.agreement_id)
        if key in self.agreements:
            agreement = self.agreements[key]
            self.agreements[key] = Agreement(agreement.valid_from, agreement.valid_until, e.ended_on)

    async def on_OrdererCredentialsGranted(self, e: registry.OrdererCredentialsGranted, connection: Any,
                                           _: Envelope[Any]) -> None:
        self.orderers[e.orderer_id] = Credentials(e.orderer_id, e.organization_id, e.valid_until)

    async def on_OrdererCredentialsRevoked(self, e: registry.OrdererCredentialsRevoked, connection: Any,
                                           _: Envelope[Any]) -> None:
        held = self.orderers.get(e.orderer_id)
        if held is not None:
            self.orderers[e.orderer_id] = Credentials(e.orderer_id, held.organization_id, held.valid_until, True)

    async def on_OrdererErased(self, e: registry.OrdererErased, connection: Any, _: Envelope[Any]) -> None:
        self.orderers.pop(e.orderer_id, None)

    # -- the orders service's own events ----------------------------------------------------------------

    async def on_OrderPlaced(self, e: ev.OrderPlaced, connection: Any, event: Envelope[Any]) -> None:
        self.placed.setdefault(e.order_id, (e.orderer_id, event.recorded_at))
        self._placed_route(e, event.recorded_at)

    async def on_OfferMade(self, e: ev.OfferMade, connection: Any, _: Envelope[Any]) -> None:
        self.offers.setdefault(e.offer_id, _Offer(e.order_id, e.expert_id, e.expires_at))

    async def on_OrderChanged(self, e: ev.OrderChanged, connection: Any, _: Envelope[Any]) -> None:
        if e.date is not None:  # an offer ends by the task's day at the latest, also when the day moves earlier
            for offer in self.offers.values():
                if offer.order_id == e.order_id and offer.status is OfferStatus.open:
                    offer.expires_at = min(offer.expires_at, start_of(e.date))

    async def on_OfferAccepted(self, e: ev.OfferAccepted, connection: Any, _: Envelope[Any]) -> None:
        self.offers[e.offer_id].status = OfferStatus.accepted

    async def on_OfferDeclined(self, e: ev.OfferDeclined, connection: Any, _: Envelope[Any]) -> None:
        self.offers[e.offer_id].status = OfferStatus.declined

    async def on_OfferExpired(self, e: ev.OfferExpired, connection: Any, _: Envelope[Any]) -> None:
        self.offers[e.offer_id].status = OfferStatus.expired

    async def on_OfferWithdrawn(self, e: ev.OfferWithdrawn, connection: Any, _: Envelope[Any]) -> None:
        self.offers[e.offer_id].status = OfferStatus.withdrawn

    async def on_EngagementOpened(self, e: ev.EngagementOpened, connection: Any, event: Envelope[Any]) -> None:
        self.engagement_rows.setdefault(e.engagement_id, {
            "engagement_id": e.engagement_id, "order_id": e.order_id, "offer_id": e.offer_id,
            "expert_id": e.expert_id, "orderer_id": e.orderer_id, "task_type": e.task_type.value, "date": e.date,
            "status": EngagementStatus.opened.value, "opened_at": event.recorded_at, **dict.fromkeys(FLAGS, False),
            "start_time": e.start_time, "duration_hours": e.duration_hours,
        })

    async def on_EngagementConfirmed(self, e: ev.EngagementConfirmed, connection: Any, _: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "confirmed")

    async def on_DeliveryConfirmed(self, e: ev.DeliveryConfirmed, connection: Any, event: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "delivered")
        if e.engagement_id in self.engagement_rows:
            self.engagement_rows[e.engagement_id]["delivered_on"] = delivered_on(e, event)

    async def on_FeeApprovalNoted(self, e: ev.FeeApprovalNoted, connection: Any, _: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "fee_approved")

    async def on_FeedbackCompletionNoted(self, e: ev.FeedbackCompletionNoted, connection: Any,
                                         _: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "feedback_complete")

    async def on_EngagementClosed(self, e: ev.EngagementClosed, connection: Any, _: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "closed")

    async def on_EngagementCancelled(self, e: ev.EngagementCancelled, connection: Any, _: Envelope[Any]) -> None:
        self._reached(e.engagement_id, "cancelled")

    async def on_EngagementChangeAccepted(self, e: ev.EngagementChangeAccepted, connection: Any,
                                          _: Envelope[Any]) -> None:
        row = self.engagement_rows.get(e.engagement_id)
        for name in ("date", "start_time", "duration_hours"):
            if row is not None and getattr(e, name) is not None:
                row[name] = getattr(e, name)

    def _reached(self, engagement_id: uuid.UUID, flag: str) -> None:
        row = self.engagement_rows.get(engagement_id)
        if row is not None:
            row[flag] = True
            row["status"] = engagement_status(**{name: row[name] for name in FLAGS}).value

    # -- reads ------------------------------------------------------------------------------------------

    async def credentials(self, orderer_id: str) -> Credentials | None:
        return self.orderers.get(orderer_id)

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        if expert_id not in self.listed:
            return None
        return self._expert(expert_id, *self.listed[expert_id])

    async def trained_member(self, expert_id: str) -> ListedExpert | None:
        member = self.members.get(expert_id)
        if member is None or not (member.trained and member.active and member.organization_ids):
            return None
        return self._expert(expert_id, member.organization_ids, member.county_trained)

    async def organization_kind(self, organization_id: str) -> str | None:
        return self.kinds.get(organization_id)

    def _expert(self, expert_id: str, organization_ids: list[str], county_trained: bool) -> ListedExpert:
        return ListedExpert(expert_id, county_trained, tuple(
            Membership(organization_id, self.kinds.get(organization_id) == OrganizationKind.ngo.value,
                       tuple(a for (owner, _), a in self.agreements.items() if owner == organization_id))
            for organization_id in organization_ids))

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        due = {o.order_id for o in self.offers.values() if o.status is OfferStatus.open and o.expires_at <= now}
        return sorted(due)

    async def weekdays(self, expert_id: str) -> frozenset[int] | None:
        return self.available_on.get(expert_id)

    async def bookings(self, expert_id: str, date: dt.date) -> tuple[Booking, ...]:
        return tuple(Booking(row["date"], row["start_time"], row["duration_hours"], row["engagement_id"])
                     for row in self.engagement_rows.values()
                     if row["expert_id"] == expert_id and row["date"] == date and not row["cancelled"])

    async def engagements_awaiting_feedback(self, *, delivered_before: dt.date) -> list[uuid.UUID]:
        return sorted(row["engagement_id"] for row in self.engagement_rows.values()
                      if row["fee_approved"] and not (row["feedback_complete"] or row["closed"] or row["cancelled"])
                      and row.get("delivered_on") is not None and row["delivered_on"] < delivered_before)

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        rows = [row for row in self.engagement_rows.values()
                if orderer_id in (None, row["orderer_id"]) and expert_id in (None, row["expert_id"])
                and (status is None or row["status"] == status.value)]
        rows.sort(key=lambda row: str(row["engagement_id"]))
        rows.sort(key=lambda row: row["opened_at"], reverse=True)
        return [{name: row[name] for name in SUMMARY} for row in rows]

    async def offers_to(self, expert_id: str, status: OfferStatus | None = None) -> list[dict[str, Any]]:
        found = [(offer_id, o) for offer_id, o in self.offers.items()
                 if o.expert_id == expert_id and status in (None, o.status)]
        found.sort(key=lambda item: str(item[0]))
        found.sort(key=lambda item: item[1].expires_at, reverse=True)
        return [{"offer_id": offer_id, "order_id": o.order_id, "expert_id": o.expert_id, "expires_at": o.expires_at,
                 "status": o.status.value} for offer_id, o in found]

    async def orders_of(self, orderer_id: str) -> list[uuid.UUID]:
        mine = [(placed_at, order_id) for order_id, (owner, placed_at) in self.placed.items() if owner == orderer_id]
        mine.sort(key=lambda item: str(item[1]))
        mine.sort(key=lambda item: item[0], reverse=True)
        return [order_id for _, order_id in mine]


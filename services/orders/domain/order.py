"""An order asks for experts for one task; its offers go to experts, and each accepted one opens an
engagement. No I/O here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal

from services.orders.domain.candidates import check_new_date, county_rule, refusal, refuse
from services.orders.domain.changes import TERMS
from services.orders.domain.engagement import Engagement
from services.orders.domain.facts import Booking, Candidate, Credentials, ListedExpert
from services.orders.domain.offer import OFFER_TIME, Offer, OfferStatus
from services.orders.domain.terms import check_fee_terms, check_task
from services.orders.domain.turns import CandidateTurns, filling
from services.orders.events import (
    FeeMode,
    FeeTerms,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferMade,
    OfferWithdrawn,
    OrderCancelled,
    OrderChanged,
    OrderPlaced,
    OrderRoute,
    SkipReason,
    TaskType,
)
from shared.clock import start_of
from shared.errors import Conflict, Forbidden, NotFound, invalid
from shared.events import DomainEvent

MAX_EXPERTS = 20
CHANGEABLE = ("topic", "date", "start_time", "duration_hours", "place", "remote")


class Order(CandidateTurns):
    stream_prefix = "order"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.orderer_id = ""
        self.orderer_organization_id: str | None = None
        self.county_service = False
        self.task_type = TaskType.other
        self.topic: str | None = ""  # None once the orderer's key is shredded
        self.duration_hours = Decimal(0)
        self.place: str | None = None
        self.remote = False
        self.fee = FeeTerms(mode=FeeMode.recommended)
        self.start_time: dt.time | None = None

    @classmethod
    def place_order(cls, order_id: uuid.UUID, orderer_id: str, credentials: Credentials | None, today: dt.date, *,
                  task_type: TaskType, topic: str, date: dt.date, duration_hours: Decimal, place: str | None,
                  remote: bool, experts_wanted: int, county_service: bool, fee: FeeTerms,
                  start_time: dt.time | None = None, route: OrderRoute = OrderRoute.bank,
                  organization_id: str | None = None, taken_by: str | None = None,
                  taken_via: str | None = None) -> Order:
        """Place an order for an orderer whose credentials hold (they sign in with them to sign the contract)."""
        if credentials is None or not credentials.valid_on(today):
            if taken_by:  # the coordinator named an orderer the registry does not know as one
                raise invalid("orderer_id", f"names no orderer with valid credentials ({orderer_id})",
                              "an orderer the coordinator has granted credentials")
            raise Forbidden(f"orderer {orderer_id} has no valid credentials: a coordinator grants them")
        check_task(date, duration_hours, place, remote, today, start_time)
        if not 1 <= experts_wanted <= MAX_EXPERTS:
            raise invalid("experts_wanted", "is out of range", f"1 to {MAX_EXPERTS}")
        check_fee_terms(fee)
        order = cls(str(order_id))
        order.record(OrderPlaced(
            order_id=order_id, orderer_id=orderer_id, orderer_organization_id=credentials.organization_id,
            county_service=county_service, task_type=task_type, topic=topic, date=date,
            duration_hours=duration_hours, place=place, remote=remote, experts_wanted=experts_wanted, fee=fee,
            start_time=start_time, route=route, organization_id=organization_id, taken_by=taken_by,
            taken_via=taken_via,
        ))
        return order

    @property
    def engagement_ids(self) -> list[uuid.UUID]:
        return [offer.engagement_id for offer in self.offers.values() if offer.engagement_id is not None]

    def offer(self, offer_id: uuid.UUID) -> Offer:
        found = self.offers.get(offer_id)
        if found is None:
            raise NotFound(f"no offer {offer_id} on order {self.id}")
        return found

    def change(self, today: dt.date, engagements: list[Engagement], *, topic: str | None = None,
               date: dt.date | None = None, duration_hours: Decimal | None = None, place: str | None = None,
               remote: bool | None = None, start_time: dt.time | None = None,
               offered: Mapping[str, ListedExpert | None] | None = None) -> None:
        """Change the task before anyone has delivered it: the offers still to come are for the changed task, and
        a change of its date, time, length or place is proposed to each expert already engaged (``engagements``,
        changed here), whose engagement keeps its terms until they accept it. ``offered``: what is known of the
        experts with open offers (a new date must be one the county's rule lets them serve on)."""
        self._still_open()
        if any(engagement.delivered for engagement in engagements):
            raise Conflict(f"an engagement of order {self.id} is already delivered: the order can no longer change")
        changes = {"topic": topic, "date": date, "duration_hours": duration_hours, "place": place, "remote": remote,
                   "start_time": start_time}
        changes = {name: value for name, value in changes.items() if value is not None}
        if not changes:
            raise invalid("(message)", "nothing to change", f"one or more of {', '.join(CHANGEABLE)}")
        check_task(
            # An unchanged date is not re-checked against today: a topic may be corrected on the day itself.
            date if date is not None else max(self.date, today),
            duration_hours if duration_hours is not None else self.duration_hours,
            place if place is not None else self.place,
            remote if remote is not None else self.remote,
            today,
            start_time if start_time is not None else self.start_time,
        )
        if date is not None:
            check_new_date(self.county_service, date, offered or {})
        self.record(OrderChanged(order_id=self.order_id, **changes))
        if set(changes) & set(TERMS):  # a topic is not a term the expert agrees to again
            for engagement in engagements:
                engagement.propose_change(self)

    def cancel(self, reason: str, engagements: list[Engagement]) -> None:
        """Cancel the order: its open offers are withdrawn and its engagements not yet delivered cancelled."""
        self._still_open()
        self.record(OrderCancelled(order_id=self.order_id, reason=reason))
        for offer in self.offers.values():
            if offer.status is OfferStatus.open:
                self.record(OfferWithdrawn(order_id=self.order_id, offer_id=offer.offer_id,
                                           expert_id=offer.expert_id, reason=reason))
        for engagement in engagements:
            if not (engagement.delivered or engagement.ended):
                engagement.cancel("orderer", reason)

    def make_offer(self, offer_id: uuid.UUID, expert_id: str, expert: ListedExpert | None, now: dt.datetime,
                   engagements: list[Engagement], expires_at: dt.datetime | None = None,
                   bookings: tuple[Booking, ...] = (), weekdays: frozenset[int] | None = None,
                   away: bool = False) -> Offer:
        """Offer the task to one expert the orderer chose."""
        self._still_open()
        refused = self._refusal(Candidate(expert, bookings, weekdays, away))
        if refused is not None:
            refuse(expert_id, *refused)
        task_starts = start_of(self.date)
        if now >= task_starts:
            raise Conflict(f"the task's day {self.date} has come: it is too late for offers")
        if any(o.expert_id == expert_id and o.status is OfferStatus.open for o in self.offers.values()):
            raise Conflict(f"expert {expert_id} already has an open offer on order {self.id}")
        active = filling(engagements)
        if any(engagement.expert_id == expert_id for engagement in active):
            raise Conflict(f"expert {expert_id} already has an engagement on order {self.id}")
        if len(active) >= self.experts_wanted:
            raise Conflict(f"order {self.id} already has the {self.experts_wanted} expert(s) it wants")
        if expires_at is None:
            expires_at = min(now + OFFER_TIME, task_starts)
        elif not now < expires_at <= task_starts:
            raise invalid("expires_at", "is outside the time the offer can be open",
                          f"after now and no later than {task_starts.isoformat()} (when the task's day begins)")
        self.record(OfferMade(order_id=self.order_id, offer_id=offer_id, expert_id=expert_id, expires_at=expires_at))
        return self.offers[offer_id]

    def _refusal(self, candidate: Candidate) -> tuple[SkipReason, str] | None:
        return refusal(candidate, date=self.date, start_time=self.start_time, duration_hours=self.duration_hours,
                       county_service=self.county_service, from_bank=self.route is OrderRoute.bank)

    def accept(self, offer_id: uuid.UUID, now: dt.datetime, engagements: list[Engagement],
               engagement_id: uuid.UUID, bookings: tuple[Booking, ...] = (),
               expert: ListedExpert | None = None) -> Engagement:
        """The expert takes the offer on: the offer is accepted and a new engagement opens. ``bookings`` are the
        expert's engagements that day: one taken on since the offer was made may now overlap the task; ``expert``
        what is known of them now: their NGO's agreement with the county may have ended since."""
        offer = self._open_offer(offer_id, now)
        if len(filling(engagements)) >= self.experts_wanted:
            raise Conflict(f"order {self.id} already has the {self.experts_wanted} expert(s) it wants")
        clash = next((b for b in bookings if b.overlaps(self.date, self.start_time, self.duration_hours)), None)
        if clash is not None:
            raise Conflict(f"you are already engaged at an overlapping time on {self.date} ({clash.when}): "
                           "cancel that engagement first, or decline this offer")
        lapsed = county_rule(self.county_service, expert, self.date)
        if lapsed is not None:
            raise Conflict(f"expert {offer.expert_id} {lapsed}: the task cannot be taken on")
        self.record(OfferAccepted(order_id=self.order_id, offer_id=offer_id, expert_id=offer.expert_id,
                                  engagement_id=engagement_id))
        return Engagement.open(engagement_id, self, offer)

    def decline(self, offer_id: uuid.UUID, reason: str, now: dt.datetime) -> None:
        offer = self._open_offer(offer_id, now)
        self.record(OfferDeclined(order_id=self.order_id, offer_id=offer_id, expert_id=offer.expert_id, reason=reason))

    def expire_offers(self, now: dt.datetime) -> list[Offer]:
        """Record the expiry of every open offer whose time is up; return those offers."""
        due = [o for o in self.offers.values() if o.status is OfferStatus.open and now >= self._expiry(o)]
        for offer in due:
            self.record(OfferExpired(order_id=self.order_id, offer_id=offer.offer_id, expert_id=offer.expert_id))
        return due

    def _open_offer(self, offer_id: uuid.UUID, now: dt.datetime) -> Offer:
        offer = self.offer(offer_id)
        if self.cancelled:
            raise Conflict(f"order {self.id} is cancelled")
        if offer.status is not OfferStatus.open:
            raise Conflict(f"offer {offer_id} is already {offer.status.value}")
        if now >= self._expiry(offer):
            raise Conflict(f"offer {offer_id} expired at {self._expiry(offer).isoformat()}")
        return offer

    def _expiry(self, offer: Offer) -> dt.datetime:
        # The task's date may have moved earlier since the offer was made.
        return min(offer.expires_at, start_of(self.date))

    def subject_of(self, event: DomainEvent) -> str | None:
        """An offer's events are its expert's (a decline's reason is theirs); the order's own, the orderer's."""
        expert_id = getattr(event, "expert_id", None)
        if isinstance(event, OfferWithdrawn):  # its reason is the orderer's cancellation reason
            return self.orderer_id
        return expert_id if isinstance(expert_id, str) else self.orderer_id

    def when_OrderPlaced(self, e: OrderPlaced) -> None:
        self.orderer_id, self.orderer_organization_id = e.orderer_id, e.orderer_organization_id
        self.county_service, self.task_type, self.topic, self.date = e.county_service, e.task_type, e.topic, e.date
        self.duration_hours, self.place, self.remote = e.duration_hours, e.place, e.remote
        self.experts_wanted, self.fee, self.start_time = e.experts_wanted, e.fee, e.start_time
        self.route, self.organization_id, self.taken_by, self.taken_via = (
            e.route, e.organization_id, e.taken_by, e.taken_via)
        self._await(e)

    def when_OrderChanged(self, e: OrderChanged) -> None:
        for name in CHANGEABLE:
            value = getattr(e, name)
            if value is not None:
                setattr(self, name, value)

    def when_OrderCancelled(self, _: OrderCancelled) -> None:
        self.cancelled = True

    def when_OfferMade(self, e: OfferMade) -> None:
        self.offers[e.offer_id] = Offer(e.offer_id, e.expert_id, e.expires_at, reason=e.reason, rank=e.rank)

    def when_OfferAccepted(self, e: OfferAccepted) -> None:
        offer = self.offers[e.offer_id]
        offer.status, offer.engagement_id = OfferStatus.accepted, e.engagement_id

    def when_OfferDeclined(self, e: OfferDeclined) -> None:
        self.offers[e.offer_id].status = OfferStatus.declined

    def when_OfferExpired(self, e: OfferExpired) -> None:
        self.offers[e.offer_id].status = OfferStatus.expired

    def when_OfferWithdrawn(self, e: OfferWithdrawn) -> None:
        self.offers[e.offer_id].status = OfferStatus.withdrawn

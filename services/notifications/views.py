"""What the notifications handlers read and remember besides their streams: the port, and its in-memory fake
for unit tests. :mod:`services.notifications.projections` keeps the same views in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from services.notifications import events as ev
from services.notifications.domain.notification import Status
from shared.envelope import Envelope
from shared.projection import Projection


@dataclass(frozen=True)
class Parties:
    expert_id: str
    orderer_id: str
    order_id: uuid.UUID | None = None  # known from orders' EngagementOpened (contracts' events do not say)


@dataclass(frozen=True)
class OpenOffer:
    offer_id: uuid.UUID
    expert_id: str
    expires_at: dt.datetime
    made_event_id: uuid.UUID  # the OfferMade event: the reminder follows from it
    order_id: uuid.UUID


@dataclass(frozen=True)
class Credentials:
    orderer_id: str
    valid_until: dt.date | None  # None: credentials without an end
    granted_event_id: uuid.UUID  # the OrdererCredentialsGranted event: the reminder follows from it


@dataclass
class Row:
    """One message as the queue and the coordinator see it: no address, no text."""

    notification_id: uuid.UUID
    person_id: str
    kind: str
    status: Status
    due_at: dt.datetime
    attempts: int = 0
    reason: str | None = None
    updated_at: dt.datetime | None = None

    def view(self) -> dict[str, Any]:
        return {"notification_id": str(self.notification_id), "person_id": self.person_id, "kind": self.kind,
                "status": self.status.value, "attempts": self.attempts, "reason": self.reason,
                "at": (self.updated_at or self.due_at).isoformat()}


class NotificationViews(Protocol):
    """``connection`` joins the caller's transaction (an event handler's, the sending job's); without it the
    view reads on its own."""

    async def project(self, event: Envelope[Any], connection: Any) -> None: ...

    async def remember_parties(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None: ...

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None: ...

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None: ...

    async def remember_order(self, order_id: uuid.UUID, orderer_id: str, connection: Any) -> None: ...

    async def orderer_of(self, order_id: uuid.UUID, connection: Any) -> str | None: ...

    async def engagements_of_order(self, order_id: uuid.UUID, connection: Any) -> list[tuple[uuid.UUID, str]]:
        """The order's engagements not cancelled, as (engagement id, expert id), by engagement id."""
        ...

    async def open_offers_of_order(self, order_id: uuid.UUID, connection: Any) -> list[OpenOffer]:
        """The order's offers not yet answered, by offer id."""
        ...

    async def due(self, now: dt.datetime, limit: int = 100) -> list[uuid.UUID]:
        """Queued messages whose time has come, the longest waiting first."""
        ...

    async def claim(self, notification_id: uuid.UUID, now: dt.datetime, connection: Any) -> bool:
        """Take the message for this transaction if it is still due and nobody else holds it: two replicas
        never send the same message at once."""
        ...

    async def undelivered(self, person_id: str | None, limit: int) -> list[Row]:
        """Bounced messages, the latest first; one person's when ``person_id`` is given."""
        ...

    # The consumers handle a batch of events at once, so an offer's answer may be kept before the offer, and
    # a revocation before the grant it follows: these methods give the same result in either order.

    async def remember_offer(self, offer: OpenOffer, connection: Any) -> None:
        """An offer made: open unless its answer was kept already."""
        ...

    async def close_offer(self, offer_id: uuid.UUID, expert_id: str, order_id: uuid.UUID, connection: Any) -> None:
        """The offer was answered, withdrawn or expired: nobody is reminded of it, ever."""
        ...

    async def offers_expiring(self, now: dt.datetime, before: dt.datetime, limit: int = 100) -> list[OpenOffer]:
        """Open offers not yet reminded of that expire after ``now`` and by ``before``, the soonest first."""
        ...

    async def offer_reminded(self, offer_id: uuid.UUID, connection: Any) -> None: ...

    async def remember_credentials(self, credentials: Credentials, version: int, connection: Any) -> None:
        """An orderer's credentials granted (again: a new end date is reminded of anew), by the ``version`` of
        the orderer's stream that granted them; an older event than the one kept changes nothing."""
        ...

    async def revoke_credentials(self, orderer_id: str, version: int, connection: Any) -> None: ...

    async def credentials_expiring(self, today: dt.date, by: dt.date, limit: int = 100) -> list[Credentials]:
        """Credentials not yet reminded of that end on or after ``today`` and by ``by``, the soonest first."""
        ...

    async def credentials_reminded(self, orderer_id: str, connection: Any) -> None: ...


class InMemoryNotificationViews(Projection):
    def __init__(self) -> None:
        self.engagements: dict[uuid.UUID, Parties] = {}
        self.rows: dict[uuid.UUID, Row] = {}
        self.offers: dict[uuid.UUID, tuple[OpenOffer, bool]] = {}  # offer id -> (offer, reminded)
        self.cancelled: set[uuid.UUID] = set()
        self.closed_offers: set[uuid.UUID] = set()
        self.orders: dict[uuid.UUID, str] = {}
        # orderer id -> (credentials, or None when revoked; the stream version that said so; reminded)
        self.credentials: dict[str, tuple[Credentials | None, int, bool]] = {}

    async def remember_order(self, order_id: uuid.UUID, orderer_id: str, connection: Any) -> None:
        self.orders[order_id] = orderer_id

    async def orderer_of(self, order_id: uuid.UUID, connection: Any) -> str | None:
        return self.orders.get(order_id)

    async def remember_credentials(self, credentials: Credentials, version: int, connection: Any) -> None:
        known, known_version, reminded = self.credentials.get(credentials.orderer_id, (None, 0, False))
        if version > known_version:
            same_end = known is not None and known.valid_until == credentials.valid_until
            self.credentials[credentials.orderer_id] = (credentials, version, reminded and same_end)

    async def revoke_credentials(self, orderer_id: str, version: int, connection: Any) -> None:
        _, known_version, reminded = self.credentials.get(orderer_id, (None, 0, False))
        if version > known_version:
            self.credentials[orderer_id] = (None, version, reminded)

    async def credentials_expiring(self, today: dt.date, by: dt.date, limit: int = 100) -> list[Credentials]:
        found = [c for c, _, reminded in self.credentials.values() if c is not None and c.valid_until is not None
                 and not reminded and today <= c.valid_until <= by]
        return sorted(found, key=lambda c: (c.valid_until or today, c.orderer_id))[:limit]

    async def credentials_reminded(self, orderer_id: str, connection: Any) -> None:
        if orderer_id in self.credentials:
            credentials, version, _ = self.credentials[orderer_id]
            self.credentials[orderer_id] = (credentials, version, True)

    async def remember_offer(self, offer: OpenOffer, connection: Any) -> None:
        if offer.offer_id not in self.closed_offers:
            self.offers.setdefault(offer.offer_id, (offer, False))

    async def close_offer(self, offer_id: uuid.UUID, expert_id: str, order_id: uuid.UUID, connection: Any) -> None:
        self.closed_offers.add(offer_id)
        self.offers.pop(offer_id, None)

    async def offers_expiring(self, now: dt.datetime, before: dt.datetime, limit: int = 100) -> list[OpenOffer]:
        found = [offer for offer, reminded in self.offers.values()
                 if not reminded and now < offer.expires_at <= before]
        return sorted(found, key=lambda o: (o.expires_at, o.offer_id))[:limit]

    async def offer_reminded(self, offer_id: uuid.UUID, connection: Any) -> None:
        if offer_id in self.offers:
            self.offers[offer_id] = (self.offers[offer_id][0], True)

    async def remember_parties(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        known = self.engagements.get(engagement_id)
        order_id = parties.order_id or (known.order_id if known else None)
        self.engagements[engagement_id] = Parties(parties.expert_id, parties.orderer_id, order_id)

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None:
        return self.engagements.get(engagement_id)

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None:
        self.cancelled.add(engagement_id)

    async def engagements_of_order(self, order_id: uuid.UUID, connection: Any) -> list[tuple[uuid.UUID, str]]:
        return sorted((eid, parties.expert_id) for eid, parties in self.engagements.items()
                      if parties.order_id == order_id and eid not in self.cancelled)

    async def open_offers_of_order(self, order_id: uuid.UUID, connection: Any) -> list[OpenOffer]:
        return sorted((offer for offer, _ in self.offers.values() if offer.order_id == order_id),
                      key=lambda o: o.offer_id)

    async def on_NotificationQueued(self, e: ev.NotificationQueued, conn: Any, event: Envelope[Any]) -> None:
        self.rows.setdefault(e.notification_id, Row(e.notification_id, e.person_id, e.kind.value, Status.queued,
                                                    e.queued_at or event.recorded_at))

    async def on_NotificationSent(self, e: ev.NotificationSent, conn: Any, _: Envelope[Any]) -> None:
        row = self.rows[e.notification_id]
        row.status, row.attempts, row.updated_at = Status.sent, e.attempt, e.sent_at

    async def on_NotificationFailed(self, e: ev.NotificationFailed, conn: Any, event: Envelope[Any]) -> None:
        row = self.rows[e.notification_id]
        row.attempts, row.reason, row.due_at, row.updated_at = e.attempt, e.reason, e.retry_at, event.recorded_at

    async def on_NotificationBounced(self, e: ev.NotificationBounced, conn: Any, event: Envelope[Any]) -> None:
        row = self.rows[e.notification_id]
        row.status, row.attempts, row.reason, row.updated_at = Status.bounced, e.attempt, e.reason, event.recorded_at

    async def due(self, now: dt.datetime, limit: int = 100) -> list[uuid.UUID]:
        due = [row for row in self.rows.values() if row.status is Status.queued and row.due_at <= now]
        return [row.notification_id for row in sorted(due, key=lambda r: (r.due_at, r.notification_id))][:limit]

    async def claim(self, notification_id: uuid.UUID, now: dt.datetime, connection: Any) -> bool:
        row = self.rows.get(notification_id)
        return row is not None and row.status is Status.queued and row.due_at <= now

    async def undelivered(self, person_id: str | None, limit: int) -> list[Row]:
        rows = [row for row in self.rows.values() if row.status is Status.bounced
                and (person_id is None or row.person_id == person_id)]
        return sorted(rows, key=lambda r: r.updated_at or r.due_at, reverse=True)[:limit]

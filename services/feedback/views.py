"""What the feedback handlers read and remember besides their streams: the port, and its in-memory fake for
unit tests. :mod:`services.feedback.projections` keeps the same views in PostgreSQL; one contract test
(``tests/contract/test_views.py``) runs against both."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from services.feedback import events as ev
from services.feedback.cells import Cells, FormRecord, cells_of
from services.feedback.domain import MAX_REMINDERS, Status
from shared.clock import day_bounds
from shared.envelope import Envelope
from shared.projection import Projection

ORDERER_KIND = {True: "county", False: "other"}  # by whether the order is for the county's own services


@dataclass(frozen=True)
class Parties:
    expert_id: str
    orderer_id: str
    cancelled: bool = False
    task_type: str | None = None  # the task kind, for the follow-up report
    order_id: uuid.UUID | None = None  # the order, whose kind of orderer the report breaks down by


@dataclass(frozen=True)
class FollowUpRow:
    """A wellbeing follow-up as its organization's contact person sees it."""

    follow_up_id: uuid.UUID
    expert_id: str
    engagement_id: uuid.UUID
    raised_at: dt.datetime


class FeedbackViews(Protocol):
    """What the handlers read and remember besides the event streams. ``connection`` joins the caller's
    transaction (an event handler's); without it the view reads on its own."""

    async def project(self, event: Envelope[Any], connection: Any) -> None: ...

    async def remember_engagement(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        """Remember the engagement's parties; remembering it again keeps a cancellation."""
        ...

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None: ...

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None: ...

    async def engagements_of(self, expert_id: str, connection: Any = None) -> list[uuid.UUID]: ...

    async def forget_sealed_answers(self, expert_id: str, connection: Any) -> None:
        """Drop the answers to ``SEALED_QUESTIONS`` from the forms of the expert's engagements (the expert was
        erased: the events read without them now, and the report counts only what it may still show)."""
        ...

    async def due_for_reminder(self, prompted_before: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
        """Engagements with an open form not prompted since ``prompted_before`` and reminders left to send,
        the longest waiting first (then by id), at most ``limit``."""
        ...

    async def forms_requested(self, begins: dt.datetime, ends: dt.datetime) -> list[FormRecord]:
        """Every form requested at or after ``begins`` and before ``ends``, with its engagement's task kind and
        its expert's organizations (sorted)."""
        ...

    async def follow_up_cells(self, start: dt.date, until: dt.date) -> Cells:
        """The report's figures of the forms requested from ``start`` to ``until`` (Finnish days, both
        included), summed at their finest grain (see :mod:`services.feedback.cells`)."""
        ...

    async def record_hours(self, engagement_id: uuid.UUID, hours: Decimal, connection: Any) -> None:
        """The engagement's hours worked, as its delivery was confirmed."""
        ...

    async def remember_order(self, order_id: uuid.UUID, county_service: bool, connection: Any) -> None:
        """Whether the order is for the county's own services (the kind of orderer)."""
        ...

    async def record_fee_approved(self, engagement_id: uuid.UUID, fee: Decimal, connection: Any) -> None:
        """The engagement's fee as approved (without its expenses)."""
        ...

    async def record_payment(self, payment_id: uuid.UUID, engagement_id: uuid.UUID, total: Decimal,
                             includes_fee: bool, connection: Any) -> None:
        """A payment for the engagement, once by its id: the approved fee (when ``includes_fee``) and expenses."""
        ...

    async def remember_regions(self, expert_id: str, regions: list[str], connection: Any) -> None:
        """The regions the expert is listed in now (in place of those before)."""
        ...

    async def remember_membership(self, expert_id: str, organization_id: str, connection: Any) -> None: ...

    async def forget_membership(self, expert_id: str, organization_id: str, connection: Any) -> None: ...

    async def organizations_of(self, expert_id: str, connection: Any = None) -> list[str]:
        """The organizations the expert belongs to now, sorted."""
        ...

    async def follow_ups(self, organization_id: str) -> list[FollowUpRow]:
        """The organization's wellbeing follow-ups not yet handled, the newest first (then by id)."""
        ...

    async def forget_follow_ups(self, expert_id: str, connection: Any) -> list[uuid.UUID]:
        """Drop the expert's wellbeing follow-ups, handled or not (the expert was erased); return their ids,
        sorted, so that their keys are shredded."""
        ...


@dataclass
class _Form:
    requested_at: dt.datetime
    last_prompted_at: dt.datetime
    reminders_sent: int = 0
    status: Status = Status.open
    ratings: dict[str, int] | None = None
    version: int | None = None


class InMemoryFeedbackViews(Projection):
    """The port in dicts; kept from the same events as the PostgreSQL tables."""

    def __init__(self) -> None:
        self.engagements: dict[uuid.UUID, Parties] = {}
        self.forms: dict[tuple[uuid.UUID, ev.Form], _Form] = {}
        self.memberships: set[tuple[str, str]] = set()  # (expert_id, organization_id)
        self.hours: dict[uuid.UUID, Decimal] = {}
        self.regions: dict[str, list[str]] = {}  # expert -> regions listed in
        self.approved_fees: dict[uuid.UUID, Decimal] = {}
        self.payments: dict[uuid.UUID, tuple[uuid.UUID, Decimal, bool]] = {}  # id -> engagement, total, fee in
        self.orders: dict[uuid.UUID, bool] = {}  # order -> for the county's own services
        self.wellbeing: dict[uuid.UUID, tuple[str, FollowUpRow]] = {}  # id -> (organization, row)
        self.handled: set[uuid.UUID] = set()

    async def remember_engagement(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        known = self.engagements.get(engagement_id)  # remembered again: a cancellation stands
        self.engagements[engagement_id] = Parties(parties.expert_id, parties.orderer_id,
                                                  known is not None and known.cancelled, parties.task_type,
                                                  parties.order_id)

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None:
        if engagement_id in self.engagements:
            parties = self.engagements[engagement_id]
            self.engagements[engagement_id] = Parties(parties.expert_id, parties.orderer_id, True, parties.task_type,
                                                      parties.order_id)

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None:
        return self.engagements.get(engagement_id)

    async def engagements_of(self, expert_id: str, connection: Any = None) -> list[uuid.UUID]:
        return [eid for eid, parties in self.engagements.items() if parties.expert_id == expert_id]

    async def forget_sealed_answers(self, expert_id: str, connection: Any) -> None:
        for (eid, _), form in self.forms.items():
            if form.ratings and eid in self.engagements and self.engagements[eid].expert_id == expert_id:
                form.ratings = {q: v for q, v in form.ratings.items() if q not in ev.SEALED_QUESTIONS}

    async def on_FeedbackRequested(self, e: ev.FeedbackRequested, conn: Any, event: Envelope[Any]) -> None:
        at = e.requested_at or event.recorded_at
        self.forms.setdefault((e.engagement_id, e.form), _Form(at, at))

    async def on_FeedbackReminderSent(self, e: ev.FeedbackReminderSent, conn: Any, event: Envelope[Any]) -> None:
        form = self.forms[(e.engagement_id, e.form)]
        form.reminders_sent, form.last_prompted_at = e.reminder_number, e.sent_at or event.recorded_at

    async def on_FeedbackSubmitted(self, e: ev.FeedbackSubmitted, conn: Any, _: Envelope[Any]) -> None:
        form = self.forms[(e.engagement_id, e.form)]
        form.status, form.ratings, form.version = Status.answered, e.answers(), e.questionnaire_version

    async def on_FeedbackClosedUnanswered(self, e: ev.FeedbackClosedUnanswered, conn: Any, _: Envelope[Any]) -> None:
        self.forms[(e.engagement_id, e.form)].status = Status.closed

    async def due_for_reminder(self, prompted_before: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
        waiting_since: dict[uuid.UUID, dt.datetime] = {}
        for (eid, _), form in self.forms.items():
            if (form.status is Status.open and form.reminders_sent < MAX_REMINDERS
                    and form.last_prompted_at <= prompted_before):
                waiting_since[eid] = min(form.last_prompted_at, waiting_since.get(eid, form.last_prompted_at))
        return sorted(waiting_since, key=lambda eid: (waiting_since[eid], eid))[:limit]

    async def forms_requested(self, begins: dt.datetime, ends: dt.datetime) -> list[FormRecord]:
        found = []
        for (eid, form_name), form in self.forms.items():
            if begins <= form.requested_at < ends:
                parties = self.engagements.get(eid)
                organizations = tuple(self._organizations(parties.expert_id)) if parties else ()
                county = self.orders.get(parties.order_id) if parties and parties.order_id else None
                regions = tuple(self.regions.get(parties.expert_id, ())) if parties else ()
                found.append(FormRecord(eid, form_name, form.requested_at, form.status, form.ratings, form.version,
                                        parties.task_type if parties else None, organizations,
                                        self.hours.get(eid), None if county is None else ORDERER_KIND[county],
                                        regions, *self._paid(eid)))
        return found

    def _paid(self, engagement_id: uuid.UUID) -> tuple[Decimal | None, Decimal | None]:
        """The fees and the expenses paid for the engagement (None: no payment)."""
        payments = [(total, fee_in) for eid, total, fee_in in self.payments.values() if eid == engagement_id]
        if not payments:
            return None, None
        fees = sum((min(self.approved_fees.get(engagement_id, total), total) for total, fee_in in payments
                    if fee_in), Decimal(0))
        return fees, sum((total for total, _ in payments), Decimal(0)) - fees

    async def follow_up_cells(self, start: dt.date, until: dt.date) -> Cells:
        return cells_of(await self.forms_requested(*day_bounds(start, until)))

    def _organizations(self, expert_id: str) -> list[str]:
        return sorted(org for expert, org in self.memberships if expert == expert_id)

    async def record_hours(self, engagement_id: uuid.UUID, hours: Decimal, connection: Any) -> None:
        self.hours[engagement_id] = hours

    async def remember_order(self, order_id: uuid.UUID, county_service: bool, connection: Any) -> None:
        self.orders[order_id] = county_service

    async def record_fee_approved(self, engagement_id: uuid.UUID, fee: Decimal, connection: Any) -> None:
        self.approved_fees[engagement_id] = fee

    async def record_payment(self, payment_id: uuid.UUID, engagement_id: uuid.UUID, total: Decimal,
                             includes_fee: bool, connection: Any) -> None:
        self.payments.setdefault(payment_id, (engagement_id, total, includes_fee))

    async def remember_regions(self, expert_id: str, regions: list[str], connection: Any) -> None:
        self.regions[expert_id] = sorted(set(regions))

    async def remember_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        self.memberships.add((expert_id, organization_id))

    async def forget_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        self.memberships.discard((expert_id, organization_id))

    async def organizations_of(self, expert_id: str, connection: Any = None) -> list[str]:
        return self._organizations(expert_id)

    async def on_WellbeingFollowUpRaised(self, e: ev.WellbeingFollowUpRaised, conn: Any, _: Envelope[Any]) -> None:
        if e.expert_id is None or e.engagement_id is None:  # read after the expert's erasure: nothing to show
            return
        self.wellbeing[e.follow_up_id] = (e.organization_id, FollowUpRow(
            e.follow_up_id, e.expert_id, uuid.UUID(e.engagement_id), e.raised_at))

    async def on_WellbeingFollowUpHandled(self, e: ev.WellbeingFollowUpHandled, conn: Any, _: Envelope[Any]) -> None:
        self.handled.add(e.follow_up_id)

    async def follow_ups(self, organization_id: str) -> list[FollowUpRow]:
        rows = [row for org, row in self.wellbeing.values()
                if org == organization_id and row.follow_up_id not in self.handled]
        return sorted(rows, key=lambda row: (-row.raised_at.timestamp(), row.follow_up_id))

    async def forget_follow_ups(self, expert_id: str, connection: Any) -> list[uuid.UUID]:
        forgotten = sorted(fid for fid, (_, row) in self.wellbeing.items() if row.expert_id == expert_id)
        for fid in forgotten:
            del self.wellbeing[fid]
        return forgotten

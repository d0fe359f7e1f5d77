"""A change of the task after the expert accepted it: proposed to the expert on their engagement, and on their
acceptance the engagement's new terms (which the contracts service makes an amendment of the contract). Declined,
the engagement keeps its terms. No I/O here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Protocol

from services.orders.domain.candidates import county_rule
from services.orders.domain.facts import Booking, ListedExpert
from services.orders.events import (
    EngagementChangeAccepted,
    EngagementChangeDeclined,
    EngagementChangeProposed,
    EngagementChangeWithdrawn,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict

TERMS = ("date", "start_time", "duration_hours", "remote", "place")


class TaskTerms(Protocol):
    """The task as its order now has it."""

    date: dt.date
    start_time: dt.time | None
    duration_hours: Decimal
    remote: bool
    place: str | None
    county_service: bool


class ChangingTerms(Aggregate):
    """An engagement's terms (the task as the expert accepted it), and a change of them waiting for the expert's
    answer, or the last one they declined."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.expert_id = ""
        self.date = dt.date.min
        self.start_time: dt.time | None = None
        self.duration_hours = Decimal(0)
        self.remote = False
        self.place: str | None = None  # None also once the orderer's key is shredded
        self.proposed: dict[str, Any] | None = None  # the terms that change, waiting for the expert's answer
        self.declined: dict[str, Any] | None = None  # the last change the expert declined, with their reason
        self.delivered = self.closed = self.cancelled = False

    @property
    def engagement_id(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    def propose_change(self, task: TaskTerms) -> bool:
        """The order's task changed: propose its new terms to the expert, replacing a change still waiting (or
        withdraw that one, when the order is back on this engagement's terms). Nothing for an engagement
        delivered or ended. Returns whether anything was recorded."""
        if self.delivered or self.closed or self.cancelled:
            return False
        changes = {name: getattr(task, name) for name in TERMS
                   if getattr(task, name) is not None and getattr(task, name) != getattr(self, name)}
        if changes == (self.proposed or {}):
            return False
        if not changes:
            self.record(EngagementChangeWithdrawn(engagement_id=self.engagement_id))
        else:
            self.record(EngagementChangeProposed(engagement_id=self.engagement_id, expert_id=self.expert_id,
                                                 place_changed="place" in changes, **changes))
        return True

    def accept_change(self, today: dt.date, county_service: bool, expert: ListedExpert | None,
                      bookings: tuple[Booking, ...] = ()) -> None:
        """The expert takes the change on. Refused if the new day has passed, if it would double-book them (their
        other engagements that day in ``bookings``), or, in the county's services, if their NGO's agreement does
        not cover the new day."""
        proposed = self._waiting()
        terms = {name: proposed.get(name, getattr(self, name)) for name in TERMS}
        if terms["date"] < today:
            raise Conflict(f"the proposed day {terms['date']} has passed: the change can no longer be accepted")
        clash = next((b for b in bookings if b.engagement_id != self.engagement_id
                      and b.overlaps(terms["date"], terms["start_time"], terms["duration_hours"])), None)
        if clash is not None:
            raise Conflict(f"you are already engaged at an overlapping time on {terms['date']} ({clash.when}): "
                           "decline the change, or cancel that engagement first")
        lapsed = county_rule(county_service, expert, terms["date"])
        if lapsed is not None:
            raise Conflict(f"expert {self.expert_id} {lapsed}: the change cannot be accepted")
        self.record(EngagementChangeAccepted(engagement_id=self.engagement_id, expert_id=self.expert_id,
                                             place_changed="place" in proposed, **proposed))

    def decline_change(self, reason: str) -> None:
        """The expert will not take the change on: the engagement keeps its terms."""
        self._waiting()
        self.record(EngagementChangeDeclined(engagement_id=self.engagement_id, expert_id=self.expert_id,
                                             reason=reason))

    def _waiting(self) -> dict[str, Any]:
        if self.cancelled or self.closed:
            raise Conflict(f"engagement {self.id} has ended: there is no change to answer")
        if self.delivered:
            raise Conflict(f"engagement {self.id} is already delivered: there is no change to answer")
        if self.proposed is None:
            raise Conflict(f"no change of engagement {self.id} waits for an answer")
        return self.proposed

    @staticmethod
    def _given(e: EngagementChangeProposed | EngagementChangeAccepted) -> dict[str, Any]:
        given = {name: getattr(e, name) for name in TERMS if getattr(e, name) is not None}
        if e.place_changed:
            given["place"] = e.place
        return given

    def when_EngagementChangeProposed(self, e: EngagementChangeProposed) -> None:
        self.proposed = self._given(e)

    def when_EngagementChangeAccepted(self, e: EngagementChangeAccepted) -> None:
        for name, value in self._given(e).items():
            setattr(self, name, value)
        self.proposed = None

    def when_EngagementChangeDeclined(self, e: EngagementChangeDeclined) -> None:
        self.declined, self.proposed = {**(self.proposed or {}), "reason": e.reason}, None

    def when_EngagementChangeWithdrawn(self, _: EngagementChangeWithdrawn) -> None:
        self.proposed = None

"""What the registry knows, as the orders domain needs it: who is listed, with which organizations and
their agreements with the county, and whose credentials hold. The handlers read these plain values from the
orders service's views, which it keeps from the registry's events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Agreement:
    """An organization agreement between the county and an NGO."""

    valid_from: dt.date
    valid_until: dt.date | None = None
    ended_on: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        ends = [end for end in (self.valid_until, self.ended_on) if end is not None]
        return self.valid_from <= day and all(day <= end for end in ends)


@dataclass(frozen=True)
class Membership:
    """An organization the expert belongs to."""

    organization_id: str
    is_ngo: bool
    agreements: tuple[Agreement, ...] = ()


@dataclass(frozen=True)
class ListedExpert:
    """An expert who is in the experience bank, so may receive offers."""

    expert_id: str
    county_trained: bool
    memberships: tuple[Membership, ...] = ()

    def may_serve_the_county_on(self, day: dt.date) -> bool:
        """The county's rule: its own trainees serve it; an NGO's only while the county has a valid
        organization agreement with that NGO on the assignment's date."""
        if self.county_trained:
            return True
        return any(m.is_ngo and any(a.covers(day) for a in m.agreements) for m in self.memberships)


@dataclass(frozen=True)
class Credentials:
    """An orderer's credentials as the coordinator granted them."""

    orderer_id: str
    organization_id: str | None = None
    valid_until: dt.date | None = None
    revoked: bool = False

    def valid_on(self, day: dt.date) -> bool:
        return not self.revoked and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Booking:
    """A time the expert is already engaged: a task's day, when it starts (None: not given) and how long it lasts.

    Only times can overlap: a task without a start time, or a booking without one, is not refused for sharing
    a day (an expert may well give a morning lecture and sit in an afternoon group); an orderer who gives the
    start time has it checked."""

    date: dt.date
    start_time: dt.time | None
    duration_hours: Decimal
    engagement_id: uuid.UUID | None = None  # the engagement it is (so that a change of it is not its own clash)

    @property
    def when(self) -> str:
        return f"from {self.start_time:%H:%M}, {self.duration_hours} hours"

    def overlaps(self, date: dt.date, start_time: dt.time | None, duration_hours: Decimal) -> bool:
        if date != self.date:
            return False
        if self.start_time is None or start_time is None:
            return False
        starts, other_starts = _minutes(self.start_time), _minutes(start_time)
        return starts < other_starts + duration_hours * 60 and other_starts < starts + self.duration_hours * 60


def _minutes(time: dt.time) -> Decimal:
    return Decimal(time.hour * 60 + time.minute)


@dataclass(frozen=True)
class Candidate:
    """What an offer to an expert is decided with: their listing (None: not in the bank) and their bookings."""

    listed: ListedExpert | None
    bookings: tuple[Booking, ...] = ()
    weekdays: frozenset[int] | None = None  # the days of the week they take assignments on (None: never said)
    away: bool = False  # the task's day is one of their dates away (as the registry said)

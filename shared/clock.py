"""The time of day, as every service reads it: one clock, injectable, and one calendar.

Instants are UTC. Days are Finnish calendar days (Europe/Helsinki): a task "on 1 January" and a report
"for December" mean what the county's people mean by them, whichever server's zone the service runs in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Helsinki")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Clock:
    now: Callable[[], dt.datetime] = field(default=utc_now)

    def today(self) -> dt.date:
        return self.now().astimezone(TIMEZONE).date()


def start_of(day: dt.date) -> dt.datetime:
    """The instant a Finnish calendar day begins."""
    return dt.datetime.combine(day, dt.time(), TIMEZONE)


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a period of whole days (both ends included) starts at and ends before."""
    return start_of(first), start_of(last + dt.timedelta(days=1))

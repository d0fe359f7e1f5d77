"""The kinds of field a request may carry, each with its bounds: every string, list, number and date a client
sends is limited here, so that nothing unbounded reaches a handler, an event or another service.

Dates are limited to the years a task, an agreement or a report can concern; a date like 9999-12-31 would
otherwise overflow the arithmetic of a day's end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


def _within_years(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be from {FIRST_DAY} to {LAST_DAY}")
    return day


# An id a client chooses for a record: letters, digits and a few separators.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+() -]*$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]  # a topic, a region
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]  # ISO 639
Day = Annotated[dt.date, AfterValidator(_within_years)]
Euros = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]

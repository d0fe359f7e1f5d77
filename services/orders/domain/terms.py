"""The terms of a task, checked before an order is placed or changed: its day, length and place, and its fee.
No I/O here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.orders.domain.engagement import MAX_HOURS
from services.orders.events import FeeMode, FeeTerms
from shared.errors import FieldProblem, Invalid, invalid


def check_fee_terms(fee: FeeTerms) -> None:
    """The orderer sets the fee, or the recommended table applies; either way the expert never works for
    nothing and never pays to work."""
    amounts = {"fee.hourly_fee": fee.hourly_fee, "fee.fixed_fee": fee.fixed_fee}
    if fee.mode is FeeMode.recommended:
        for name, amount in amounts.items():
            if amount is not None:
                raise invalid(name, "is set, but with mode recommended the rate table decides the fee",
                              "leave it out, or choose mode orderer")
        return
    for name, amount in amounts.items():
        if amount is not None and amount < 0:
            raise invalid(name, "is negative", "0 or more euros")
    paid = any(amount is not None and amount > 0 for amount in amounts.values())
    if not paid and not fee.expenses_reimbursed:
        raise invalid("fee", "the expert would get neither a fee nor expenses",
                      "hourly_fee or fixed_fee above 0, or expenses_reimbursed true")


def check_task(date: dt.date, duration_hours: Decimal, place: str | None, remote: bool, today: dt.date,
               start_time: dt.time | None = None) -> None:
    if date < today:
        raise invalid("date", "is in the past", f"{today} or later")
    if not 0 < duration_hours <= MAX_HOURS:
        raise invalid("duration_hours", "is out of range", f"> 0 and <= {MAX_HOURS}")
    if start_time is not None:
        if start_time.tzinfo is not None:
            raise invalid("start_time", "has a time zone", "a Finnish clock time without a zone, such as 09:30")
        if start_time.hour * 60 + start_time.minute + duration_hours * 60 > 24 * 60:
            raise invalid("start_time", f"the task of {duration_hours} hours would run past midnight",
                          "a start that ends the task the same day")
    if not place and not remote:
        raise Invalid("the task needs a place or remote: true", [
            FieldProblem("place", "is missing and the task is not remote", "a place, or remote: true")])

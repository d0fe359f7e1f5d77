"""What an amendment of a contract may change, and the rules it is checked by. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal

from services.contracts.events import ContractAmended, ContractDrafted
from shared.errors import FieldProblem, Invalid, invalid

CHANGEABLE = ("task_date", "start_time", "duration_hours", "remote", "place", "hourly_fee", "fixed_fee")


def changed_terms(amended: ContractAmended) -> list[str]:
    """The terms an amendment changed, in the order of ``CHANGEABLE`` (the place also where contracts cannot read
    the new one)."""
    return [name for name in CHANGEABLE
            if getattr(amended, name) is not None or (name == "place" and amended.place_changed)]


@dataclass(frozen=True)
class Amendment:
    """The terms to change; None leaves a term as it is."""

    task_date: dt.date | None = None
    start_time: dt.time | None = None
    duration_hours: Decimal | None = None
    remote: bool | None = None
    place: str | None = None
    hourly_fee: Decimal | None = None
    fixed_fee: Decimal | None = None
    # The place changed where contracts cannot read the new one (the order's, sealed by orders): the contract's
    # place is then "as ordered".
    place_changed: bool = False

    def changes(self, terms: ContractDrafted, today: dt.date) -> dict[str, object]:
        """The terms that differ from ``terms``, checked: every problem at once, each naming its field."""
        problems = []
        if self.hourly_fee is not None and self.fixed_fee is not None:
            problems.append(FieldProblem("fixed_fee", "an hourly fee and a fixed fee together",
                                         "either hourly_fee or fixed_fee"))
        if self.task_date is not None and self.task_date < today:
            problems.append(FieldProblem("task_date", "is in the past", f"on or after {today}"))
        if self.duration_hours is not None and self.duration_hours <= 0:
            problems.append(FieldProblem("duration_hours", "must be more than zero", "> 0 hours"))
        for name in ("hourly_fee", "fixed_fee"):
            value = getattr(self, name)
            if value is not None and value < 0:
                problems.append(FieldProblem(name, "is negative", ">= 0 euros"))
        if problems:
            raise Invalid("the amendment is not valid: " + "; ".join(f"{p.field} {p.reason}" for p in problems),
                          problems)
        given = {f.name: getattr(self, f.name) for f in fields(self)
                 if f.name in CHANGEABLE and getattr(self, f.name) is not None}
        changed: dict[str, object] = {name: value for name, value in given.items() if getattr(terms, name) != value}
        if self.place_changed and self.place is None:
            changed["place_changed"] = True
        if {"hourly_fee", "fixed_fee"} & set(given) and terms.fee_basis != "orderer":
            changed.update({name: given[name] for name in ("hourly_fee", "fixed_fee") if name in given})
        if not changed:
            raise invalid("(message)", "nothing changes: every term given is as the contract has it",
                          f"one or more of {', '.join(CHANGEABLE)}, changed")
        return changed

"""Expenses, so that the expert never pays to work: the effective-dated expense rates a coordinator publishes,
and the arithmetic and rules of one expense claim's lines. No I/O here; the contract aggregate
(:mod:`services.contracts.domain`) keeps the claims and their reviews.

The seeded rates are the Finnish Tax Administration's tax-free maximums (Verohallinnon päätös verovapaista
matkakustannusten korvauksista) for each year: the car's kilometre allowance, the domestic per diem for more
than 6 and more than 10 hours away, and the meal allowance.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from services.contracts.events import ExpenseLine, ExpenseRatesPublished
from shared.aggregate import Aggregate
from shared.errors import Conflict, FieldProblem, Invalid, invalid

CENT = Decimal("0.01")

# The tax-free maximums, year by year: car 0.57 €/km (2024), 0.59 €/km (2025), 0.55 €/km (2026); domestic
# per diem over 6 h / over 10 h and the meal allowance: 24 / 51 / 12.75 € (2024), 24 / 53 / 13.25 € (2025),
# 25 / 54 / 13.50 € (2026).
SEEDED_EXPENSE_RATES = (
    ExpenseRatesPublished(rates_id="tax-free-2024", effective_from=dt.date(2024, 1, 1), car_per_km=Decimal("0.57"),
                          per_diem_partial=Decimal("24.00"), per_diem_full=Decimal("51.00"),
                          meal_allowance=Decimal("12.75")),
    ExpenseRatesPublished(rates_id="tax-free-2025", effective_from=dt.date(2025, 1, 1), car_per_km=Decimal("0.59"),
                          per_diem_partial=Decimal("24.00"), per_diem_full=Decimal("53.00"),
                          meal_allowance=Decimal("13.25")),
    ExpenseRatesPublished(rates_id="tax-free-2026", effective_from=dt.date(2026, 1, 1), car_per_km=Decimal("0.55"),
                          per_diem_partial=Decimal("25.00"), per_diem_full=Decimal("54.00"),
                          meal_allowance=Decimal("13.50")),
)

PER_DIEM_PARTIAL_HOURS = Decimal(6)  # a per diem needs more than this many hours away
PER_DIEM_FULL_HOURS = Decimal(10)  # the full per diem, more than this
MAX_KILOMETRES = Decimal(2000)
MAX_LINE_AMOUNT = Decimal(1000)  # euros: a ticket or a parking for one task
MAX_HOURS_AWAY = Decimal(24)


class ExpenseKind(enum.StrEnum):
    car = "car"  # kilometres driven in one's own car, with the route
    public_transport = "public_transport"  # a ticket, by its price
    parking = "parking"  # by its price
    per_diem = "per_diem"  # by the hours away: over 6 h partial, over 10 h full
    meal_allowance = "meal_allowance"  # instead of a per diem


DAILY_ALLOWANCES = (ExpenseKind.per_diem, ExpenseKind.meal_allowance)

# Which of a line's fields each kind takes: the others must be left out.
FIELDS_OF_KIND = {
    ExpenseKind.car: ("kilometres", "route"),
    ExpenseKind.public_transport: ("amount", "description"),
    ExpenseKind.parking: ("amount", "description"),
    ExpenseKind.per_diem: ("hours_away",),
    ExpenseKind.meal_allowance: (),
}
REQUIRED_OF_KIND = {
    ExpenseKind.car: ("kilometres", "route"),
    ExpenseKind.public_transport: ("amount",),
    ExpenseKind.parking: ("amount",),
    ExpenseKind.per_diem: ("hours_away",),
    ExpenseKind.meal_allowance: (),
}


class LineStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    returned = "returned"


class EffectiveDated(Protocol):
    @property
    def effective_from(self) -> dt.date: ...


Dated = TypeVar("Dated", bound=EffectiveDated)


def in_force(publications: list[Dated], day: dt.date) -> Dated | None:
    """Of publications oldest first (as publishing keeps them), the latest that has started on ``day``."""
    started = [published for published in publications if published.effective_from <= day]
    return started[-1] if started else None


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# -- the rates -------------------------------------------------------------------------------------------

class ExpenseRates(Aggregate):
    """Every expense rates publication, oldest first, in one stream (the version check orders them)."""

    stream_prefix = "expense-rates"
    ID = "expense-rates"

    def __init__(self, aggregate_id: str = ID) -> None:
        super().__init__(aggregate_id)
        self.publications: list[ExpenseRatesPublished] = []

    @classmethod
    def stream_id(cls, aggregate_id: str | uuid.UUID = ID) -> str:
        return cls.stream_prefix

    def publish(self, rates_id: str, effective_from: dt.date, car_per_km: Decimal, per_diem_partial: Decimal,
                per_diem_full: Decimal, meal_allowance: Decimal) -> ExpenseRatesPublished:
        problems = [FieldProblem(name, "must be more than zero", "> 0 euros")
                    for name, value in (("car_per_km", car_per_km), ("per_diem_partial", per_diem_partial),
                                        ("per_diem_full", per_diem_full), ("meal_allowance", meal_allowance))
                    if value <= 0]
        if not problems and per_diem_full < per_diem_partial:
            problems.append(FieldProblem("per_diem_full", "is less than the partial per diem",
                                         f">= {per_diem_partial} euros"))
        if problems:
            raise Invalid("the expense rates are not valid: " + "; ".join(f"{p.field} {p.reason}" for p in problems),
                          problems)
        latest = self.publications[-1] if self.publications else None
        # What was in force on a past day never changes: new rates start after the latest.
        if latest is not None and effective_from <= latest.effective_from:
            raise invalid("effective_from", f"must be later than the latest rates' ({latest.rates_id}, in force "
                          f"from {latest.effective_from})", f"a date after {latest.effective_from}")
        if any(p.rates_id == rates_id for p in self.publications):
            raise Conflict(f"expense rates {rates_id} are already published")
        published = ExpenseRatesPublished(rates_id=rates_id, effective_from=effective_from, car_per_km=car_per_km,
                                          per_diem_partial=per_diem_partial, per_diem_full=per_diem_full,
                                          meal_allowance=meal_allowance)
        self.record(published)
        return published

    def seed(self) -> bool:
        """Publish the tax-free maximums when nothing is published yet; True when it did."""
        if self.exists:
            return False
        for published in SEEDED_EXPENSE_RATES:
            self.record(published)
        return True

    def in_force(self, day: dt.date) -> ExpenseRatesPublished | None:
        return in_force(self.publications, day)

    def when_ExpenseRatesPublished(self, event: ExpenseRatesPublished) -> None:
        self.publications.append(event)


# -- a claim's lines -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """The expense rates a contract keeps: those in force on its task's date."""

    rates_id: str | None
    car_per_km: Decimal
    per_diem_partial: Decimal | None
    per_diem_full: Decimal | None
    meal_allowance: Decimal | None


@dataclass(frozen=True)
class ClaimedLine:
    """A line as the expert claims it, before the rates price it."""

    kind: ExpenseKind
    kilometres: Decimal | None = None
    route: str | None = None
    amount: Decimal | None = None
    hours_away: Decimal | None = None
    description: str | None = None


def _line_problems(index: int, line: ClaimedLine) -> list[FieldProblem]:
    at = f"lines.{index}"
    given = {name: getattr(line, name) for name in ("kilometres", "route", "amount", "hours_away", "description")}
    problems = [FieldProblem(f"{at}.{name}", f"is not part of a {line.kind.value} line", "leave it out")
                for name, value in given.items() if value is not None and name not in FIELDS_OF_KIND[line.kind]]
    problems += [FieldProblem(f"{at}.{name}", f"is required for a {line.kind.value} line", "a value is required")
                 for name in REQUIRED_OF_KIND[line.kind] if given[name] is None]
    if line.kilometres is not None and not 0 < line.kilometres <= MAX_KILOMETRES:
        reason = "is negative" if line.kilometres < 0 else "is out of range"
        problems.append(FieldProblem(f"{at}.kilometres", reason, f"> 0 and <= {MAX_KILOMETRES}"))
    if line.amount is not None and not 0 < line.amount <= MAX_LINE_AMOUNT:
        reason = "is negative" if line.amount < 0 else "is out of range"
        problems.append(FieldProblem(f"{at}.amount", reason, f"> 0 and <= {MAX_LINE_AMOUNT} euros"))
    if line.hours_away is not None and not PER_DIEM_PARTIAL_HOURS < line.hours_away <= MAX_HOURS_AWAY:
        problems.append(FieldProblem(
            f"{at}.hours_away", "a per diem needs more than 6 hours away (claim a meal allowance otherwise)"
            if line.hours_away <= PER_DIEM_PARTIAL_HOURS else "is out of range",
            f"> {PER_DIEM_PARTIAL_HOURS} and <= {MAX_HOURS_AWAY}"))
    return problems


def price_lines(lines: list[ClaimedLine], rates: Rates, first_line_no: int,
                daily_allowance_claimed: bool) -> list[ExpenseLine]:
    """The lines priced at the contract's rates, numbered from ``first_line_no``; every problem of every line
    at once, each naming its field (``lines.2.kilometres``)."""
    problems = [problem for index, line in enumerate(lines) for problem in _line_problems(index, line)]
    cars = [index for index, line in enumerate(lines) if line.kind is ExpenseKind.car]
    problems += [FieldProblem(f"lines.{index}.kind", "one car journey per claim: put the whole route on one line",
                              "one car line") for index in cars[1:]]
    daily = [index for index, line in enumerate(lines) if line.kind in DAILY_ALLOWANCES]
    daily_again = daily if daily_allowance_claimed else daily[1:]
    problems += [FieldProblem(f"lines.{index}.kind", "one per diem or meal allowance for the task, and it is "
                              "already claimed" if daily_allowance_claimed else "one per diem or meal allowance "
                              "for the task", "one per diem or one meal allowance") for index in daily_again]
    if problems:
        raise Invalid("the expense claim is not valid: " + "; ".join(f"{p.field} {p.reason}" for p in problems),
                      problems)
    return [_priced(first_line_no + index, line, rates) for index, line in enumerate(lines)]


def _priced(line_no: int, line: ClaimedLine, rates: Rates) -> ExpenseLine:
    if line.kind is ExpenseKind.car:
        assert line.kilometres is not None
        amount = line.kilometres * rates.car_per_km
    elif line.kind is ExpenseKind.per_diem:
        assert line.hours_away is not None
        full = line.hours_away > PER_DIEM_FULL_HOURS
        amount = _rate(rates.per_diem_full if full else rates.per_diem_partial, "per diem")
    elif line.kind is ExpenseKind.meal_allowance:
        amount = _rate(rates.meal_allowance, "meal allowance")
    else:
        assert line.amount is not None
        amount = line.amount
    return ExpenseLine(line_no=line_no, kind=line.kind.value, amount=cents(amount), kilometres=line.kilometres,
                       hours_away=line.hours_away, description=line.description)


def _rate(rate: Decimal | None, what: str) -> Decimal:
    if rate is None:  # a contract drafted before expense rates were published with it
        raise Conflict(f"the contract was drafted without a {what} rate; a coordinator settles this claim by hand")
    return rate

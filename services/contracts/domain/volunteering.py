"""Volunteering: an expert who declines the fee is paid only expense compensation, and that is tax-free only
within the yearly caps for volunteers (Income Tax Act, tuloverolaki 71 §, as the Tax Administration reads it for
volunteer work): per diems (and meal allowances paid instead of them) for at most 20 days a year, and kilometre
allowance of at most 3,000 € a year, counted per person across every organization that pays through the system.
What goes over a cap is taxable income. No I/O here.

The caps are counted by the year of the task's date. Within a year, what is paid keeps the share it was paid
with, and the rest is taken in the order of the task's date, the engagement and the line: so a part's share is
the same whenever it is computed (in the batch, and again in the batch's check when it is recorded), and the
approver's warning tells how much more of the year's compensation approving a line would make taxable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from services.contracts.domain.contract import Contract
from services.contracts.domain.terms import MILEAGE_CAP, PER_DIEM_DAYS_CAP, ZERO
from services.contracts.expenses import LineStatus

DAILY = ("per_diem", "meal_allowance")
CAPPED = ("car", *DAILY)

Key = tuple[uuid.UUID, str]  # (engagement, item): item is delivery_mileage or line-<n>


@dataclass(frozen=True)
class Allowance:
    """One capped allowance of a volunteer: the delivery's mileage, or a car, per diem or meal allowance line."""

    engagement_id: uuid.UUID
    item: str
    kind: str
    amount: Decimal
    day: dt.date
    order: int  # 0 for the delivery's mileage, else the line's number
    paid: bool = False

    @property
    def key(self) -> Key:
        return (self.engagement_id, self.item)


def _day(contract: Contract) -> dt.date:
    terms = contract.terms
    return terms.task_date if terms is not None and terms.task_date is not None else dt.date.min


def allowances_of(contract: Contract, statuses: tuple[LineStatus, ...] = (LineStatus.approved,)) -> list[Allowance]:
    """The capped allowances of a volunteering contract: its delivery's mileage and its lines in ``statuses``."""
    if not contract.volunteering:
        return []
    day, found = _day(contract), []
    if contract.approval is not None and contract.approval.mileage > 0:
        found.append(Allowance(contract.engagement_id, "delivery_mileage", "car", contract.approval.mileage, day, 0,
                               contract.fee_paid))
    for number, line in contract.lines.items():
        if line.kind in CAPPED and contract.line_status[number] in statuses:
            found.append(Allowance(contract.engagement_id, f"line-{number}", line.kind, line.amount, day, number,
                                   number in contract.paid_lines))
    return found


def tax_free_shares(allowances: Iterable[Allowance]) -> dict[Key, Decimal]:
    """Each allowance's tax-free share under the caps, year by year (all of one person's)."""
    shares: dict[Key, Decimal] = {}
    days: dict[int, int] = {}
    mileage: dict[int, Decimal] = {}
    for allowance in sorted(allowances, key=lambda a: (not a.paid, a.day, str(a.engagement_id), a.order)):
        year = allowance.day.year
        if allowance.kind in DAILY:
            used = days.get(year, 0)
            shares[allowance.key] = allowance.amount if used < PER_DIEM_DAYS_CAP else ZERO
            days[year] = used + 1
        else:
            left = MILEAGE_CAP - mileage.get(year, ZERO)
            shares[allowance.key] = max(ZERO, min(allowance.amount, left))
            mileage[year] = mileage.get(year, ZERO) + allowance.amount
    return shares


def shares_of(contracts: Iterable[Contract]) -> dict[Key, Decimal]:
    """The tax-free shares of every approved allowance of these contracts (all of one person's, or of several:
    each person's caps are their own)."""
    by_expert: dict[str, list[Allowance]] = {}
    for contract in contracts:
        if contract.terms is not None:
            by_expert.setdefault(contract.terms.expert_id, []).extend(allowances_of(contract))
    return {key: share for found in by_expert.values() for key, share in tax_free_shares(found).items()}


def excess(allowances: Iterable[Allowance]) -> Decimal:
    listed = list(allowances)
    shares = tax_free_shares(listed)
    return sum((a.amount - shares[a.key] for a in listed), ZERO)


def cap_warnings(contract: Contract, others: Iterable[Contract]) -> dict[int, Decimal]:
    """For each pending capped line of a volunteering contract: how much of it approving would make taxable,
    the expert's approved allowances (``others``, this contract among them) counted; only those over a cap."""
    approved = [a for c in others for a in allowances_of(c)]
    before = excess(approved)
    warnings = {}
    for pending in allowances_of(contract, (LineStatus.pending,)):
        over = excess([*approved, pending]) - before
        if over > 0:
            warnings[pending.order] = over
    return warnings

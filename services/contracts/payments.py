"""A payment batch: what is approved and unpaid, contract by contract, each part with its tax character, and
the CSV the county's payroll imports. No I/O here.

Where the tax character comes from (the Finnish Tax Administration, Verohallinto, and the Incomes Register,
tulorekisteri):

- A fee for a lecture, a meeting or other work paid to a person is earned income: wage, from which tax is
  withheld by the payee's tax card, or a fee for work (työkorvaus) when the payee is in the prepayment register
  (ennakkoperintärekisteri). Which of the two, payroll knows from the payee's tax details; here both are
  ``fee_income``. A fee owed for a cancellation is paid for the same work and is the same income.
- The kilometre allowance, the per diem and the meal allowance are tax-free up to the maximums the Tax
  Administration decides each year (Verohallinnon päätös verovapaista matkakustannusten korvauksista); the
  coordinator is to publish the contract's rates at most at those; where they are higher, the excess over the
  maximum of the task's year is taxable wage (``taxable_allowance``). Tickets, parking and other costs reimbursed
  at their price against a receipt are tax-free cost reimbursements.
- Every payment is reported to the Incomes Register, the tax-free cost reimbursements too, each as its own
  income type ("verovapaat kustannusten korvaukset on aina ilmoitettava erikseen omina tulolajeinaan", the
  Tax Administration's instructions on reporting to the Incomes Register), no later than on the fifth
  calendar day after the payment day (Act on the Incomes Information System 53/2018, section 6).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from services.contracts.domain.contract import Contract
from services.contracts.domain.terms import VOLUNTEERING_RULE, ZERO
from services.contracts.domain.volunteering import Key
from services.contracts.events import ExpenseLine
from services.contracts.expenses import PER_DIEM_FULL_HOURS, SEEDED_EXPENSE_RATES, cents

REPORT_DAYS = 5  # the Incomes Register's deadline: the fifth calendar day after the payment day


class Character(enum.StrEnum):
    """The tax character of a part of a payment."""

    fee_income = "fee_income"  # wage by the tax card, or työkorvaus to a payee in the prepayment register
    tax_free_allowance = "tax_free_allowance"  # kilometre allowance, per diem, meal allowance within the maximums
    cost_reimbursement = "cost_reimbursement"  # a ticket, parking, another cost at its price, against a receipt
    taxable_allowance = "taxable_allowance"  # the part of an allowance over the year's tax-free maximum
    volunteer_allowance = "volunteer_allowance"  # a volunteer's allowance within the yearly caps
    volunteer_over_cap = "volunteer_over_cap"  # a volunteer's allowance over the yearly caps: taxable


RULES = {
    Character.fee_income: "Fee for work: wage with withholding by the tax card, or työkorvaus if the payee is in "
                          "the prepayment register (Verohallinto); reported to the Incomes Register.",
    Character.tax_free_allowance: "Travel allowance within the Tax Administration's tax-free maximum of the task's "
                                  "year: not taxable; reported to the Incomes Register as tax-exempt.",
    Character.cost_reimbursement: "Cost reimbursed at its price against a receipt: not taxable; reported to the "
                                  "Incomes Register as a tax-exempt cost reimbursement.",
    Character.taxable_allowance: "The part of a travel allowance over the Tax Administration's tax-free maximum of "
                                 "the task's year is taxable wage (withholding by the tax card); reported to the "
                                 "Incomes Register.",
    Character.volunteer_allowance: VOLUNTEERING_RULE + " Within the caps: not taxable; reported to the Incomes "
                                   "Register as tax-exempt.",
    Character.volunteer_over_cap: VOLUNTEERING_RULE + " Over a cap: taxable wage (withholding by the tax card); "
                                  "reported to the Incomes Register.",
}
TAXABLE = {Character.fee_income, Character.taxable_allowance, Character.volunteer_over_cap}
# The tax-free maximums by year, as seeded from the Tax Administration's decisions. A contract's rates above them
# (a coordinator may publish any) leave the excess taxable; for a year not listed here the published rates are
# taken to be within that year's maximums, as the coordinator is to publish them.
TAX_FREE_MAXIMUMS = {rates.effective_from.year: rates for rates in SEEDED_EXPENSE_RATES}
CHARACTER_OF_LINE = {"car": Character.tax_free_allowance, "per_diem": Character.tax_free_allowance,
                     "meal_allowance": Character.tax_free_allowance,
                     "public_transport": Character.cost_reimbursement, "parking": Character.cost_reimbursement}


@dataclass(frozen=True)
class Part:
    """One part of a payment: the fee, the mileage of the confirmed delivery, or one approved expense line."""

    item: str  # fee, cancellation_fee, delivery_mileage, delivery_expenses, line-<n>
    kind: str  # fee, car, per_diem, meal_allowance, public_transport, parking, other
    amount: Decimal
    character: Character

    @property
    def taxable(self) -> bool:
        return self.character in TAXABLE


@dataclass(frozen=True)
class Payment:
    """What one contract's expert is paid in a batch."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID
    expert_id: str
    orderer_id: str
    task_date: dt.date | None
    includes_fee: bool
    expense_lines: tuple[int, ...]
    parts: tuple[Part, ...]

    @property
    def total(self) -> Decimal:
        return sum((part.amount for part in self.parts), ZERO)

    @property
    def taxable(self) -> Decimal:
        return sum((part.amount for part in self.parts if part.taxable), ZERO)


def _allowance(item: str, kind: str, amount: Decimal, tax_free: Decimal | None) -> list[Part]:
    """An allowance as paid: tax-free up to ``tax_free`` (no limit when None), the rest taxable."""
    if tax_free is None or amount <= tax_free:
        return [Part(item, kind, amount, Character.tax_free_allowance)]
    return [Part(item, kind, tax_free, Character.tax_free_allowance),
            Part(f"{item}-over-maximum", kind, amount - tax_free, Character.taxable_allowance)]


def _tax_free(contract: Contract, kind: str, amount: Decimal, line: ExpenseLine | None) -> Decimal | None:
    """The most of ``amount`` the year's tax-free maximum allows, or None where no maximum is known."""
    terms = contract.terms
    maximum = TAX_FREE_MAXIMUMS.get(terms.task_date.year) if terms and terms.task_date else None
    if maximum is None or terms is None:
        return None
    if kind == "car":  # the kilometres, from the line or from the delivery's mileage at the contract's rate
        rate = terms.mileage_per_km
        kilometres = line.kilometres if line is not None and line.kilometres is not None else (
            amount / rate if rate else ZERO)
        return cents(kilometres * maximum.car_per_km)
    if kind == "per_diem" and line is not None and line.hours_away is not None:
        return maximum.per_diem_full if line.hours_away > PER_DIEM_FULL_HOURS else maximum.per_diem_partial
    if kind == "meal_allowance":
        return maximum.meal_allowance
    return None


def _volunteer(item: str, kind: str, amount: Decimal, share: Decimal) -> list[Part]:
    """A volunteer's allowance: tax-free up to its share under the yearly caps, the rest taxable."""
    parts = [Part(item, kind, share, Character.volunteer_allowance)] if share > 0 else []
    if amount > share:
        parts.append(Part(f"{item}-over-cap", kind, amount - share, Character.volunteer_over_cap))
    return parts


def _capped(contract: Contract, shares: Mapping[Key, Decimal], item: str, kind: str, amount: Decimal,
            line: ExpenseLine | None) -> list[Part]:
    """An allowance as paid: a volunteer's within the caps (and the year's maximum), anyone else's within the
    year's tax-free maximum."""
    tax_free = _tax_free(contract, kind, amount, line)
    if not contract.volunteering:
        return _allowance(item, kind, amount, tax_free)
    share = shares.get((contract.engagement_id, item), amount)
    return _volunteer(item, kind, amount, share if tax_free is None else min(share, tax_free))


def payment_of(contract: Contract, shares: Mapping[Key, Decimal] | None = None) -> Payment | None:
    """What the contract owes its expert now, part by part; None when nothing is due. ``shares``: a volunteer's
    allowances' tax-free shares under the yearly caps (:func:`~services.contracts.domain.volunteering.shares_of`
    of all the expert's contracts); an allowance not in it is taken to be within the caps."""
    terms = contract.terms
    if terms is None:
        return None
    shares = shares or {}
    parts: list[Part] = []
    if contract.fee_due:
        if contract.approval is not None:
            approval = contract.approval
            if approval.fee or not contract.volunteering:
                parts += [Part("fee", "fee", approval.fee, Character.fee_income)]
            if approval.mileage:
                parts += _capped(contract, shares, "delivery_mileage", "car", approval.mileage, None)
            if approval.other_expenses:
                parts.append(Part("delivery_expenses", "other", approval.other_expenses,
                                  Character.cost_reimbursement))
        elif contract.cancellation is not None:
            parts.append(Part("cancellation_fee", "fee", contract.cancellation.fee_owed, Character.fee_income))
    lines = contract.unpaid_lines()
    for number in lines:
        line = contract.lines[number]
        if CHARACTER_OF_LINE[line.kind] is Character.tax_free_allowance:
            parts += _capped(contract, shares, f"line-{number}", line.kind, line.amount, line)
        else:
            parts.append(Part(f"line-{number}", line.kind, line.amount, CHARACTER_OF_LINE[line.kind]))
    if not parts:
        return None
    return Payment(contract.engagement_id, terms.contract_id, terms.expert_id, terms.orderer_id, terms.task_date,
                   contract.fee_due, tuple(lines), tuple(parts))


def report_by(paid_on: dt.date) -> dt.date:
    return paid_on + dt.timedelta(days=REPORT_DAYS)


@dataclass(frozen=True)
class Batch:
    """The payments due, to be paid on ``paid_on``. Its id names exactly these payments on that day, so that
    recording it pays what payroll imported and nothing approved since."""

    paid_on: dt.date
    payments: tuple[Payment, ...]

    @property
    def batch_id(self) -> str:
        content = [self.paid_on.isoformat()] + [
            f"{p.engagement_id}:{p.includes_fee}:{','.join(map(str, p.expense_lines))}:{p.total}"
            for p in sorted(self.payments, key=lambda p: str(p.engagement_id))]
        return "batch-" + hashlib.sha256("\n".join(content).encode()).hexdigest()[:16]

    @property
    def report_by(self) -> dt.date:
        return report_by(self.paid_on)

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.payments), ZERO)


def batch_of(contracts: Iterable[Contract], paid_on: dt.date, shares: Mapping[Key, Decimal] | None = None) -> Batch:
    payments = (payment_of(contract, shares) for contract in contracts)
    return Batch(paid_on, tuple(sorted((p for p in payments if p is not None),
                                       key=lambda p: (p.expert_id, str(p.engagement_id)))))


# The CSV payroll imports: one row per part of a payment, comma-separated, UTF-8, a header row; amounts in euros
# with a dot and two decimals; dates ISO 8601. ``taxable`` and ``incomes_register`` are yes or no.
CSV_COLUMNS = ("batch_id", "payment_day", "report_by", "engagement_id", "contract_id", "expert_id", "task_date",
               "item", "kind", "amount", "taxable", "character", "incomes_register", "rule")


def batch_csv(batch: Batch) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for payment in batch.payments:
        for part in payment.parts:
            writer.writerow([batch.batch_id, batch.paid_on.isoformat(), batch.report_by.isoformat(),
                             payment.engagement_id, payment.contract_id, payment.expert_id,
                             payment.task_date.isoformat() if payment.task_date else "", part.item, part.kind,
                             f"{part.amount:.2f}", "yes" if part.taxable else "no", part.character.value,
                             "yes", RULES[part.character]])
    return out.getvalue()

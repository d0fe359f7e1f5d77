"""The terms an assignment contract is made of, and the arithmetic of its fee. No I/O here."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.contracts.events import (
    ContractDrafted,
)
from services.contracts.expenses import (
    cents,
)

ZERO = Decimal("0.00")

# Half the agreed fee is owed when an engagement is cancelled after both signed: by then the expert has
# kept the day free and prepared (a talk on one's own illness takes preparing), and the expert must never
# be the one who pays for a change of plan; not all of it, because the assignment itself was not done.
DEFAULT_CANCELLATION_FEE_SHARE = Decimal("0.5")

# A contract's id follows from its engagement's, so whoever knows the engagement can name its contract.
CONTRACT_NAMESPACE = uuid.UUID("5d0c1e0a-6b6f-4b8e-9d3a-6b6f6e7472a1")


class Party(enum.StrEnum):
    expert = "expert"
    orderer = "orderer"


class FeeBasis(enum.StrEnum):
    orderer = "orderer"  # the fee the orderer set
    recommended = "recommended"  # the recommended table in force when the contract was drafted


@dataclass(frozen=True)
class OrdererFee:
    """The fee an orderer set for the task, if it set one: by the hour or for the whole task."""

    hourly_fee: Decimal | None = None
    fixed_fee: Decimal | None = None

    @property
    def is_set(self) -> bool:
        return self.hourly_fee is not None or self.fixed_fee is not None


@dataclass(frozen=True)
class Task:
    """The task as the engagement opened it: what the contract document tells and its expenses are dated by."""

    date: dt.date
    task_type: str
    topic: str | None  # sealed by orders with the orderer's key: contracts reads it as erased (None)
    remote: bool
    place: str | None = None
    start_time: dt.time | None = None


class ContractStatus(enum.StrEnum):
    drafted = "drafted"
    partly_signed = "partly_signed"
    fully_signed = "fully_signed"
    fee_approved = "fee_approved"
    paid = "paid"
    cancelled = "cancelled"


@dataclass(frozen=True)
class Fees:
    fee: Decimal
    mileage: Decimal
    other_expenses: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.mileage + self.other_expenses


def fee_for_hours(terms: ContractDrafted, hours: Decimal) -> Decimal:
    """The fee for ``hours`` of work under the contract's terms, rounded to cents."""
    if terms.fixed_fee is not None:
        fee = terms.fixed_fee
    elif terms.hourly_fee is not None:
        fee = terms.hourly_fee * hours
    else:
        raise ValueError(f"contract {terms.contract_id} has neither an hourly nor a fixed fee")
    # The table's minimum keeps a short assignment worth the trip; a fee the orderer set is what the
    # parties agreed, so it stands as it is.
    if terms.fee_basis == FeeBasis.recommended.value:
        fee = max(fee, terms.minimum_fee)
    return cents(fee)


def fees_for_delivery(terms: ContractDrafted, actual_hours: Decimal, kilometres: Decimal,
                      other_expenses: Decimal) -> Fees:
    """Each part is rounded to cents on its own, so the parts shown always add up to the total. Expenses are
    reimbursed whatever a contract drafted before that rule says: the expert never pays to work."""
    return Fees(fee_for_hours(terms, actual_hours), cents(kilometres * terms.mileage_per_km), cents(other_expenses))


# Volunteering (services.contracts.domain.volunteering): the yearly caps of tax-free expense compensation.
PER_DIEM_DAYS_CAP = 20
MILEAGE_CAP = Decimal("3000.00")
VOLUNTEERING = "volunteering"
VOLUNTEERING_RULE = ("Volunteering (the fee declined): expense compensation only; per diems for at most "
                     f"{PER_DIEM_DAYS_CAP} days and kilometre allowance of at most {MILEAGE_CAP} euros a year are "
                     "tax-free, counted per person across every organization paying through the system; the "
                     "excess is taxable income (tuloverolaki 71 §).")

"""The expert's own annual and monthly income limits, and the fee income a contract brings in a calendar year or
a month. A benefit or a pension of many experts depends on their earnings staying under a limit that changes
yearly, so the expert sets their own (KoKoA warns experts of exactly this). Only fees count: expense
reimbursements are not earnings. No I/O here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from services.contracts.domain.contract import Contract
from services.contracts.domain.terms import ZERO
from services.contracts.events import IncomeLimitCleared, IncomeLimitSet
from shared.aggregate import Aggregate
from shared.errors import Conflict, invalid
from shared.events import DomainEvent


class IncomeLimit(Aggregate):
    stream_prefix = "income-limit"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.key_no = 0
        self.limit: Decimal | None = None  # a year's
        self.monthly: Decimal | None = None

    @staticmethod
    def subject(expert_id: str, key_no: int) -> str:
        return f"income-limit:{expert_id}:{key_no}"

    def subject_of(self, event: DomainEvent) -> str | None:
        return self.subject(self.id, event.key_no) if isinstance(event, IncomeLimitSet) else None

    def set(self, annual_limit: Decimal | None, monthly_limit: Decimal | None = None) -> None:
        if annual_limit is None and monthly_limit is None:
            raise invalid("annual_limit", "give a yearly or a monthly limit, or both", "a limit in euros")
        self.record(IncomeLimitSet(expert_id=self.id, key_no=self.key_no,
                                   annual_limit=None if annual_limit is None else str(annual_limit),
                                   monthly_limit=None if monthly_limit is None else str(monthly_limit)))

    def clear(self) -> str:
        """Clear the limit; the subject whose key is to be shredded with it."""
        if not self.is_set:
            raise Conflict("no income limit is set")
        shredded = self.subject(self.id, self.key_no)
        self.record(IncomeLimitCleared(expert_id=self.id, key_no=self.key_no))
        return shredded

    @property
    def is_set(self) -> bool:
        return self.limit is not None or self.monthly is not None

    def when_IncomeLimitSet(self, event: IncomeLimitSet) -> None:
        self.key_no = event.key_no
        self.limit, self.monthly = _euros(event.annual_limit), _euros(event.monthly_limit)

    def when_IncomeLimitCleared(self, event: IncomeLimitCleared) -> None:
        self.key_no, self.limit, self.monthly = event.key_no + 1, None, None


def _euros(sealed: str | None) -> Decimal | None:
    try:  # None or unreadable: erased with its key
        return Decimal(sealed) if sealed else None
    except InvalidOperation:
        return None


def _fee_of(contract: Contract) -> Decimal:
    if contract.approval is not None:
        return contract.approval.fee
    return contract.cancellation.fee_owed if contract.cancellation is not None else ZERO


def fee_paid_in(contract: Contract, year: int) -> Decimal:
    """The fee (not the expenses) a payment of ``year`` paid the expert under this contract."""
    return sum((_fee_of(contract) for payment in contract.payments
                if payment.includes_fee and payment.paid_on.year == year), ZERO)


def fee_due(contract: Contract) -> Decimal:
    """The approved fee (or a cancellation's fee owed) not yet paid."""
    return _fee_of(contract) if contract.fee_due else ZERO


def fee_in_period(contract: Contract, first: dt.date, last: dt.date) -> Decimal:
    """The fee a contract brings for work in the period, by its task's date: the approved fee, a cancellation's
    fee owed, or, planned and not yet delivered, the fee for its planned hours (nothing when volunteering)."""
    terms = contract.terms
    if terms is None or terms.task_date is None or not first <= terms.task_date <= last or contract.volunteering:
        return ZERO
    if contract.approval is not None or contract.cancellation is not None:
        return _fee_of(contract)
    return contract.expected_fee()

"""The expert's own annual income limit, and the fee income a contract brings in a calendar year. A benefit or a
pension of many experts depends on their earnings staying under a limit that changes yearly, so the expert sets
their own (KoKoA warns experts of exactly this). Only fees count: expense reimbursements are not earnings. No I/O
here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from services.contracts.domain.contract import Contract
from services.contracts.domain.terms import ZERO
from services.contracts.events import IncomeLimitCleared, IncomeLimitSet
from shared.aggregate import Aggregate
from shared.errors import Conflict
from shared.events import DomainEvent


class IncomeLimit(Aggregate):
    stream_prefix = "income-limit"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.key_no = 0
        self.limit: Decimal | None = None

    @staticmethod
    def subject(expert_id: str, key_no: int) -> str:
        return f"income-limit:{expert_id}:{key_no}"

    def subject_of(self, event: DomainEvent) -> str | None:
        return self.subject(self.id, event.key_no) if isinstance(event, IncomeLimitSet) else None

    def set(self, annual_limit: Decimal) -> None:
        self.record(IncomeLimitSet(expert_id=self.id, key_no=self.key_no, annual_limit=str(annual_limit)))

    def clear(self) -> str:
        """Clear the limit; the subject whose key is to be shredded with it."""
        if self.limit is None:
            raise Conflict("no income limit is set")
        shredded = self.subject(self.id, self.key_no)
        self.record(IncomeLimitCleared(expert_id=self.id, key_no=self.key_no))
        return shredded

    def when_IncomeLimitSet(self, event: IncomeLimitSet) -> None:
        self.key_no = event.key_no
        try:  # None or unreadable: erased with its key
            self.limit = Decimal(event.annual_limit) if event.annual_limit else None
        except InvalidOperation:
            self.limit = None

    def when_IncomeLimitCleared(self, event: IncomeLimitCleared) -> None:
        self.key_no, self.limit = event.key_no + 1, None


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

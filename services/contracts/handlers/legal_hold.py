"""What the law requires the contracts service to keep of an expert whatever an erasure asks: the payments made to
them. Accounting vouchers are kept six years from the end of the year of payment (Kirjanpitolaki 1336/1997
2:10 §), and the earnings payment reports to the Incomes Register (tulorekisteri) are made from them. An erasure
shreds the expert's key here (what was sealed with it goes), records PaymentRecordsKept naming the rule and the
date, and the expert's own data and the erasure's outcome show the same (legal_holds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import Contract
from services.contracts.events import PaymentRecordsKept
from services.contracts.handlers.income import contracts_of
from shared.aggregate import Aggregate
from shared.errors import Forbidden
from shared.events import Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.contracts.service import Deps

ACCOUNTING_YEARS = 6
RULE = ("Kirjanpitolaki 2:10 §: accounting vouchers are kept six years from the end of the year of payment; "
        "the earnings payment reports to the Incomes Register are made from them")
WHAT = "payments to the expert: amounts, dates, contracts and engagements (no name, address or other contact)"


def kept_until(contracts: Iterable[Contract]) -> tuple[int, dt.date | None]:
    """How many payments were made to the expert, and the last day the latest of them must be kept."""
    days = [payment.paid_on for contract in contracts for payment in contract.payments]
    if not days:
        return 0, None
    return len(days), dt.date(max(days).year + ACCOUNTING_YEARS, 12, 31)


class LegalHold(Aggregate):
    """The record that an erased expert's payment records were kept, and until when."""

    stream_prefix = "legal-hold"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.recorded = False

    def keep(self, payments: int, until: dt.date) -> None:
        if not self.recorded:
            self.record(PaymentRecordsKept(expert_id=self.id, payments=payments, rule=RULE, kept_until=until))

    def when_PaymentRecordsKept(self, _: PaymentRecordsKept) -> None:
        self.recorded = True


async def legal_holds(query: m.LegalHolds, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """What is kept of the expert under a legal obligation, under which rule, until when (the expert, a
    coordinator); an empty list when nothing is."""
    ctx.require_role(Role.expert, Role.coordinator)
    if ctx.actor.role is Role.expert and ctx.actor.id != query.expert_id:
        raise Forbidden("an expert sees only what is kept of themselves")
    payments, until = kept_until(await contracts_of(deps, deps.uow, query.expert_id))
    erased = (await deps.uow.load(LegalHold, query.expert_id, must_exist=False)).recorded
    kept = [{"what": WHAT, "payments": payments, "rule": RULE, "until": until.isoformat()}] if until else []
    return {"expert_id": query.expert_id, "kept": kept, "kept_after_erasure": erased}

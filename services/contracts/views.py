"""What the contracts handlers read besides their streams: the port, and its in-memory fake for unit tests.

:mod:`services.contracts.projections` keeps the same view in PostgreSQL; one contract test
(``tests/contract/test_views.py``) runs against both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

from services.contracts import events as ev
from services.contracts.domain import ContractStatus
from shared.envelope import Envelope
from shared.projection import Projection


@dataclass(frozen=True)
class ContractRow:
    """One engagement's contract, for lists: who, on what basis, how far, and the money."""

    engagement_id: uuid.UUID
    contract_id: uuid.UUID
    expert_id: str
    orderer_id: str
    fee_basis: str
    status: str
    total: Decimal | None = None
    fee_owed: Decimal | None = None
    paid_on: dt.date | None = None
    expenses_due: Decimal = Decimal("0.00")  # approved expense lines not yet paid


class ContractsViews(Protocol):
    async def project(self, event: Envelope[Any], connection: Any) -> None: ...

    async def contracts(self, *, status: ContractStatus | None = None, expert_id: str | None = None,
                        orderer_id: str | None = None) -> list[ContractRow]:
        """Contracts, newest first, narrowed by the arguments given."""
        ...


@dataclass
class InMemoryContractsViews(Projection):
    rows: dict[uuid.UUID, tuple[dt.datetime, ContractRow]] = field(default_factory=dict)

    async def on_ContractDrafted(self, e: ev.ContractDrafted, connection: Any, event: Envelope[Any]) -> None:
        self.rows.setdefault(e.engagement_id, (event.recorded_at, ContractRow(
            e.engagement_id, e.contract_id, e.expert_id, e.orderer_id, e.fee_basis, ContractStatus.drafted.value)))

    async def on_ContractSigned(self, e: ev.ContractSigned, connection: Any, _: Envelope[Any]) -> None:
        self._from(e.engagement_id, ContractStatus.drafted, ContractStatus.partly_signed)

    async def on_ContractAmended(self, e: ev.ContractAmended, connection: Any, _: Envelope[Any]) -> None:
        self._from(e.engagement_id, ContractStatus.partly_signed, ContractStatus.drafted)

    def _from(self, engagement_id: uuid.UUID, before: ContractStatus, after: ContractStatus) -> None:
        if engagement_id in self.rows and self.rows[engagement_id][1].status == before.value:
            self._change(engagement_id, status=after.value)

    async def on_ContractFullySigned(self, e: ev.ContractFullySigned, connection: Any, _: Envelope[Any]) -> None:
        self._change(e.engagement_id, status=ContractStatus.fully_signed.value)

    async def on_ContractCancelled(self, e: ev.ContractCancelled, connection: Any, _: Envelope[Any]) -> None:
        self._change(e.engagement_id, status=ContractStatus.cancelled.value, fee_owed=e.fee_owed)

    async def on_FeeApproved(self, e: ev.FeeApproved, connection: Any, _: Envelope[Any]) -> None:
        self._change(e.engagement_id, status=ContractStatus.fee_approved.value, total=e.total)

    async def on_FeePaid(self, e: ev.FeePaid, connection: Any, _: Envelope[Any]) -> None:
        # A payment pays all that is due, the approved expense lines with it.
        self._change(e.engagement_id, status=ContractStatus.paid.value, paid_on=e.paid_on, expenses_due=Decimal("0.00"))

    async def on_ExpenseLineApproved(self, e: ev.ExpenseLineApproved, connection: Any, _: Envelope[Any]) -> None:
        # A line approved after the last payment waits for the next: the contract is due again.
        if e.engagement_id in self.rows:
            row = self.rows[e.engagement_id][1]
            status = ContractStatus.fee_approved.value if row.status == ContractStatus.paid.value else row.status
            self._change(e.engagement_id, status=status, expenses_due=row.expenses_due + e.amount)

    def _change(self, engagement_id: uuid.UUID, **changes: Any) -> None:
        if engagement_id in self.rows:
            drafted_at, row = self.rows[engagement_id]
            self.rows[engagement_id] = (drafted_at, replace(row, **changes))

    async def contracts(self, *, status: ContractStatus | None = None, expert_id: str | None = None,
                        orderer_id: str | None = None) -> list[ContractRow]:
        found = [(drafted_at, row) for drafted_at, row in self.rows.values()
                 if (status is None or row.status == status.value) and expert_id in (None, row.expert_id)
                 and orderer_id in (None, row.orderer_id)]
        found.sort(key=lambda item: str(item[1].engagement_id))
        found.sort(key=lambda item: item[0], reverse=True)
        return [row for _, row in found]

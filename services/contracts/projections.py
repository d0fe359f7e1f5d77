"""The contracts service's view in PostgreSQL (schema.sql), kept from its own events inside the recording
transaction; it implements :class:`services.contracts.views.ContractsViews`."""

from __future__ import annotations

from importlib import resources
from typing import Any

from services.contracts import events as ev
from services.contracts.domain import ContractStatus
from services.contracts.views import ContractRow
from shared.envelope import Envelope
from shared.projection import PostgresViews

SQL = resources.files("services.contracts").joinpath("schema.sql").read_text()


class ContractTables(PostgresViews):
    async def on_ContractDrafted(self, e: ev.ContractDrafted, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.contracts
                    (engagement_id, contract_id, expert_id, orderer_id, fee_basis, status, drafted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (engagement_id) DO NOTHING""",
            e.engagement_id, e.contract_id, e.expert_id, e.orderer_id, e.fee_basis, ContractStatus.drafted.value,
            event.recorded_at,
        )

    async def on_ContractSigned(self, e: ev.ContractSigned, conn: Any, _: Envelope[Any]) -> None:
        # The signature of an amendment leaves a binding contract's status as it is.
        signed = "expert_signed" if e.party == "expert" else "orderer_signed"
        await conn.execute(
            f"""UPDATE {self.schema}.contracts SET {signed} = true,
                    status = CASE WHEN status = $3 THEN $2 ELSE status END
                WHERE engagement_id = $1""",
            e.engagement_id, ContractStatus.partly_signed.value, ContractStatus.drafted.value,
        )

    async def on_ContractAmended(self, e: ev.ContractAmended, conn: Any, _: Envelope[Any]) -> None:
        # Both sign the new version again; a contract not yet binding waits for both signatures anew.
        await conn.execute(
            f"""UPDATE {self.schema}.contracts SET expert_signed = false, orderer_signed = false,
                    status = CASE WHEN status = $3 THEN $2 ELSE status END
                WHERE engagement_id = $1""",
            e.engagement_id, ContractStatus.drafted.value, ContractStatus.partly_signed.value,
        )

    async def on_ContractFullySigned(self, e: ev.ContractFullySigned, conn: Any, _: Envelope[Any]) -> None:
        await self._status(conn, e.engagement_id, ContractStatus.fully_signed)

    async def on_ContractCancelled(self, e: ev.ContractCancelled, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, fee_owed = $3 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.cancelled.value, e.fee_owed,
        )

    async def on_FeeApproved(self, e: ev.FeeApproved, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, total = $3 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.fee_approved.value, e.total,
        )

    async def on_FeePaid(self, e: ev.FeePaid, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, paid_on = $3, expenses_due = 0 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.paid.value, e.paid_on,
        )

    async def on_ExpenseLineApproved(self, e: ev.ExpenseLineApproved, conn: Any, _: Envelope[Any]) -> None:
        # A line approved after the last payment waits for the next: the contract is due again.
        await conn.execute(
            f"""UPDATE {self.schema}.contracts SET expenses_due = expenses_due + $4,
                    status = CASE WHEN status = $3 THEN $2 ELSE status END
                WHERE engagement_id = $1""",
            e.engagement_id, ContractStatus.fee_approved.value, ContractStatus.paid.value, e.amount,
        )

    async def _status(self, conn: Any, engagement_id: Any, status: ContractStatus) -> None:
        await conn.execute(f"UPDATE {self.schema}.contracts SET status = $2 WHERE engagement_id = $1",
                           engagement_id, status.value)

    async def contracts(self, *, status: ContractStatus | None = None, expert_id: str | None = None,
                        orderer_id: str | None = None) -> list[ContractRow]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id, contract_id, expert_id, orderer_id, fee_basis, status, total, fee_owed, paid_on,
                       expenses_due
                FROM {self.schema}.contracts
                WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR expert_id = $2)
                  AND ($3::text IS NULL OR orderer_id = $3)
                ORDER BY drafted_at DESC, engagement_id""",
            status.value if status else None, expert_id, orderer_id,
        )
        return [ContractRow(**dict(row)) for row in rows]

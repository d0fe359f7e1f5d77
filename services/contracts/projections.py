"""The contracts service's read table, updated from its own events inside the recording transaction."""

from __future__ import annotations

from importlib import resources
from typing import Any

from shared.events import RecordedEvent
from shared.projection import Projection
from services.contracts import events as ev
from services.contracts.domain import ContractStatus

SQL = resources.files("services.contracts").joinpath("schema.sql").read_text()


class ContractTables(Projection):
    async def on_ContractDrafted(self, e: ev.ContractDrafted, conn: Any, event: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.contracts
                    (engagement_id, contract_id, expert_id, orderer_id, fee_basis, status, drafted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (engagement_id) DO NOTHING""",
            e.engagement_id, e.contract_id, e.expert_id, e.orderer_id, e.fee_basis, ContractStatus.drafted.value,
            event.recorded_at,
        )

    async def on_ContractSigned(self, e: ev.ContractSigned, conn: Any, _: RecordedEvent) -> None:
        signed = "expert_signed" if e.party == "expert" else "orderer_signed"
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET {signed} = true, status = $2 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.partly_signed.value,
        )

    async def on_ContractFullySigned(self, e: ev.ContractFullySigned, conn: Any, _: RecordedEvent) -> None:
        await self._status(conn, e.engagement_id, ContractStatus.fully_signed)

    async def on_ContractCancelled(self, e: ev.ContractCancelled, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, fee_owed = $3 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.cancelled.value, e.fee_owed,
        )

    async def on_FeeApproved(self, e: ev.FeeApproved, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, total = $3 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.fee_approved.value, e.total,
        )

    async def on_FeePaid(self, e: ev.FeePaid, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.contracts SET status = $2, paid_on = $3 WHERE engagement_id = $1",
            e.engagement_id, ContractStatus.paid.value, e.paid_on,
        )

    async def _status(self, conn: Any, engagement_id: Any, status: ContractStatus) -> None:
        await conn.execute(f"UPDATE {self.schema}.contracts SET status = $2 WHERE engagement_id = $1",
                           engagement_id, status.value)

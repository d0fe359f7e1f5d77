"""The views contract for contracts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from services.contracts import events as contracts
from services.contracts.domain import ContractStatus
from services.contracts.views import ContractRow
from shared.events import DomainEvent
from tests.contract.feed import drafted, ids


async def followed(feed: Any, drafts: dict[uuid.UUID, contracts.ContractDrafted]) -> Any:
    """Feed the drafts to the views; then each step feeds one more event of a drafted contract."""
    for engagement_id, draft in drafts.items():
        await feed.follow(f"contract-{engagement_id}", draft, engagement_id=engagement_id)

    async def step(engagement_id: uuid.UUID, event_type: type[DomainEvent], **fields: Any) -> None:
        event = event_type(contract_id=drafts[engagement_id].contract_id, engagement_id=engagement_id, **fields)
        await feed.follow(f"contract-{engagement_id}", event, engagement_id=engagement_id)
    return step


async def test_contracts(views_of):
    async with views_of("contracts") as feed:
        views = feed.views
        e1, e2, e3, e4 = ids(4)  # drafted in id order, so that newest first is not id order
        drafts = {e1: drafted(e1, "maija", "school-1", "orderer"), e2: drafted(e2, "pekka", "school-1", "recommended"),
                  e3: drafted(e3, "maija", "clinic-1", "recommended"), e4: drafted(e4, "pekka", "clinic-1", "orderer")}

        step = await followed(feed, drafts)
        await step(e1, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(e1, contracts.ContractSigned, party="orderer", signer_id="school-1")
        await step(e1, contracts.ContractFullySigned)
        await step(e1, contracts.FeeApproved, fee=Decimal("100.00"), mileage=Decimal("3.50"),
                   other_expenses=Decimal("12.90"), total=Decimal("116.40"))
        await step(e1, contracts.FeePaid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15))
        await step(e2, contracts.ContractSigned, party="orderer", signer_id="school-1")
        await step(e3, contracts.ContractSigned, party="orderer", signer_id="clinic-1")
        await step(e3, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(e3, contracts.ContractFullySigned)
        await step(e3, contracts.ContractCancelled, fee_owed=Decimal("50.00"))

        def row(engagement_id: uuid.UUID, status: ContractStatus, **money: Any) -> ContractRow:
            d = drafts[engagement_id]
            return ContractRow(d.engagement_id, d.contract_id, d.expert_id, d.orderer_id, d.fee_basis, status.value,
                               **money)

        paid = row(e1, ContractStatus.paid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15))
        partly = row(e2, ContractStatus.partly_signed)
        cancelled = row(e3, ContractStatus.cancelled, fee_owed=Decimal("50.00"))
        draft = row(e4, ContractStatus.drafted)

        assert await views.contracts() == [draft, cancelled, partly, paid]
        assert await views.contracts(status=ContractStatus.paid) == [paid]
        assert await views.contracts(status=ContractStatus.partly_signed) == [partly]
        assert await views.contracts(status=ContractStatus.cancelled) == [cancelled]
        assert await views.contracts(status=ContractStatus.drafted) == [draft]
        assert await views.contracts(status=ContractStatus.fully_signed) == []
        assert await views.contracts(expert_id="maija") == [cancelled, paid]
        assert await views.contracts(orderer_id="clinic-1") == [draft, cancelled]
        assert await views.contracts(expert_id="pekka", orderer_id="school-1") == [partly]
        assert await views.contracts(status=ContractStatus.drafted, expert_id="maija") == []
        assert await views.contracts(orderer_id="stranger") == []

        # Approved, not yet paid: the total shows with the status.
        await step(e4, contracts.ContractSigned, party="expert", signer_id="pekka")
        await step(e4, contracts.ContractSigned, party="orderer", signer_id="clinic-1")
        await step(e4, contracts.ContractFullySigned)
        assert await views.contracts(status=ContractStatus.fully_signed) == [row(e4, ContractStatus.fully_signed)]
        await step(e4, contracts.FeeApproved, fee=Decimal("80.00"), mileage=Decimal("0.00"),
                   other_expenses=Decimal("0.00"), total=Decimal("80.00"))
        assert await views.contracts(orderer_id="clinic-1") == [
            row(e4, ContractStatus.fee_approved, total=Decimal("80.00")), cancelled]

        # An expense line approved after the payment makes the paid contract due again; before it, no change.
        # Each approved expense line adds to what is due, until a payment pays it all.
        await step(e4, contracts.ExpenseLineApproved, line_no=1, amount=Decimal("7.40"))
        await step(e4, contracts.ExpenseLineApproved, line_no=2, amount=Decimal("4.50"))
        assert await views.contracts(status=ContractStatus.fee_approved) == [
            row(e4, ContractStatus.fee_approved, total=Decimal("80.00"), expenses_due=Decimal("11.90"))]
        await step(e1, contracts.ExpenseLineApproved, line_no=1, amount=Decimal("7.40"))
        assert await views.contracts(expert_id="maija", status=ContractStatus.fee_approved) == [
            row(e1, ContractStatus.fee_approved, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15),
                expenses_due=Decimal("7.40"))]
        await step(e1, contracts.FeePaid, total=Decimal("7.40"), paid_on=dt.date(2026, 4, 20), includes_fee=False,
                   expense_lines=[1])
        assert await views.contracts(expert_id="maija", status=ContractStatus.paid) == [
            row(e1, ContractStatus.paid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 20))]


async def test_contracts_amended(views_of):
    async with views_of("contracts") as feed:
        views = feed.views
        binding, unsigned = ids(2)
        drafts = {binding: drafted(binding, "maija", "school-1", "orderer"),
                  unsigned: drafted(unsigned, "pekka", "school-1", "orderer")}

        step = await followed(feed, drafts)
        await step(binding, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(binding, contracts.ContractSigned, party="orderer", signer_id="school-1")
        await step(binding, contracts.ContractFullySigned)
        await step(unsigned, contracts.ContractSigned, party="orderer", signer_id="school-1")

        # An amendment of a binding contract leaves it binding while its new version is signed; one of a contract
        # signed by one party waits for both signatures anew.
        await step(binding, contracts.ContractAmended, version=2, duration_hours=Decimal("3"))
        await step(unsigned, contracts.ContractAmended, version=2, fixed_fee=Decimal("200.00"))
        statuses = {row.engagement_id: row.status for row in await views.contracts()}
        assert statuses == {binding: "fully_signed", unsigned: "drafted"}
        await step(binding, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(unsigned, contracts.ContractSigned, party="expert", signer_id="pekka")
        statuses = {row.engagement_id: row.status for row in await views.contracts()}
        assert statuses == {binding: "fully_signed", unsigned: "partly_signed"}

"""The contracts service's reactions to the registry's erasures: what it sealed with the erased person's key
becomes unreadable here too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.contracts.domain.income_limit import IncomeLimit
from services.contracts.handlers.income import contracts_of
from services.contracts.handlers.legal_hold import LegalHold, kept_until
from services.contracts.handlers.receipts import delete_receipts
from services.registry import events as registry
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.contracts.service import Deps


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    """The expert was erased: their key here is shredded (the routes of their expense claims read as erased), an
    income limit they set is cleared with its own key, their receipt files are deleted from the store, and the
    payments made to them are kept as the law requires (PaymentRecordsKept names the rule and the date)."""
    expert_id = event.payload.expert_id
    limit = await ctx.session.load(IncomeLimit, expert_id, must_exist=False)
    if limit.is_set:
        subject = limit.clear()
        await ctx.session.save(limit, ctx.meta(subject_id=expert_id))
        await ctx.session.shred(subject)
    contracts = await contracts_of(deps, ctx.session, expert_id)
    await delete_receipts(deps, contracts)
    await ctx.session.shred(expert_id)
    # The payments stay, as the accounting law requires: recorded, with the rule and the date (legal_hold.py).
    payments, until = kept_until(contracts)
    if until is not None:
        hold = await ctx.session.load(LegalHold, expert_id, must_exist=False)
        hold.keep(payments, until)
        await ctx.session.save(hold, ctx.meta())


async def on_orderer_erased(event: Envelope[registry.OrdererErased], ctx: EventContext, deps: Deps) -> None:
    """The orderer was erased: their key here is shredded, so the topic and place their contracts copied read as
    erased."""
    await ctx.session.shred(event.payload.orderer_id)

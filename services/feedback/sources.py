"""What the follow-up report takes from other services besides the engagements: the fees and expenses paid for
each engagement (the contracts service's FeeApproved and FeePaid, amounts in clear as on the bus) and the
regions each expert is listed in (the registry's ExpertListed).

PaymentBatchRecorded is not consumed: a batch is followed by one FeePaid per contract on each contract's
stream, which this service counts; counting the batch too would count each payment twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.contracts import events as contracts
from services.registry import events as registry
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.feedback.service import Deps


async def on_fee_approved(event: Envelope[contracts.FeeApproved], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.record_fee_approved(e.engagement_id, e.fee, ctx.session.connection)


async def on_fee_paid(event: Envelope[contracts.FeePaid], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.record_payment(event.event_id, e.engagement_id, e.total, e.includes_fee,
                                    ctx.session.connection)


async def on_expert_listed(event: Envelope[registry.ExpertListed], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_regions(e.expert_id, list(e.regions), ctx.session.connection)

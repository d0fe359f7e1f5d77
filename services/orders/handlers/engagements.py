"""Commands on an engagement: its delivery confirmed, cancelled by either side, closed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import FEEDBACK_ANSWER_PERIOD, Engagement, Order
from services.orders.events import OfferReason
from services.orders.handlers.common import member, require_own
from services.orders.handlers.offers import move_on
from shared.aggregate import Metadata
from shared.events import SYSTEM, Actor, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext

if TYPE_CHECKING:
    from services.orders.service import Deps


async def _change_engagement(cmd: m.EngagementCommand, ctx: CommandContext, may: Callable[[Engagement], None],
                             change: Callable[[Engagement], None]) -> dict[str, Any]:
    engagement = await ctx.session.load(Engagement, str(cmd.engagement_id), what="engagement")
    may(engagement)
    change(engagement)
    await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))
    return {"engagement_id": engagement.id, "status": engagement.status.value}


def _the_orderer(actor: Actor) -> Callable[[Engagement], None]:
    return lambda e: require_own(actor, e.orderer_id, f"engagement {e.id}")


async def confirm_delivery(cmd: m.ConfirmDelivery, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The orderer confirms the task was done, with the hours, kilometres and other expenses (only once the
    contract is signed by both)."""
    ctx.require_role(Role.orderer)
    return await _change_engagement(
        cmd, ctx, _the_orderer(ctx.actor),
        lambda e: e.confirm_delivery(cmd.actual_hours, cmd.kilometres, cmd.other_expenses, deps.clock.today()),
    )


async def cancel_engagement(cmd: m.CancelEngagement, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Either side cancels an engagement before delivery, with a reason (its orderer or its expert)."""
    ctx.require_role(Role.orderer, Role.expert)

    def is_party(e: Engagement) -> None:
        require_own(ctx.actor, e.orderer_id if ctx.actor.role is Role.orderer else e.expert_id, f"engagement {e.id}")

    answer = await _change_engagement(cmd, ctx, is_party, lambda e: e.cancel(ctx.actor.role.value, cmd.reason))
    if ctx.actor.role is Role.expert:
        await _offer_the_place_again(cmd, ctx, deps)
    return answer


async def _offer_the_place_again(cmd: m.CancelEngagement, ctx: CommandContext, deps: Deps) -> None:
    """An expert who cancels frees their place: the order's next ranked candidate is offered it in the same
    transaction (an order without a ranked list waits for its orderer)."""
    engagement = await ctx.session.load(Engagement, str(cmd.engagement_id), what="engagement")
    order = await ctx.session.load(Order, str(engagement.order_id), what="order")
    accepted = [order.offer(engagement.offer_id)] if engagement.offer_id in order.offers else []
    await move_on(deps, ctx.session, order, OfferReason.cancelled, accepted)
    if order.pending:
        await ctx.session.save(order, ctx.meta())


async def accept_change(cmd: m.EngagementCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The engagement's expert accepts the change of the task proposed to them: the engagement takes the new terms,
    and the contracts service amends the contract (a new version both sign). Refused if it would double-book them,
    or (in the county's services) their NGO's agreement does not cover the new day."""
    ctx.require_role(Role.expert)
    engagement = await ctx.session.load(Engagement, str(cmd.engagement_id), what="engagement")
    require_own(ctx.actor, engagement.expert_id, f"engagement {engagement.id}")
    order = await ctx.session.load(Order, str(engagement.order_id), what="order")
    day = (engagement.proposed or {}).get("date", engagement.date)
    engagement.accept_change(deps.clock.today(), order.county_service, await member(deps, ctx.actor.id),
                             await deps.views.bookings(ctx.actor.id, day))
    await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))
    return {"engagement_id": engagement.id, "status": engagement.status.value, "change": "accepted"}


async def decline_change(cmd: m.DeclineChange, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The engagement's expert declines the change proposed to them, with a reason: the engagement keeps its terms,
    and its orderer sees the change declined (they may go on with the engagement as it is, or cancel it)."""
    ctx.require_role(Role.expert)
    answer = await _change_engagement(cmd, ctx, lambda e: require_own(ctx.actor, e.expert_id, f"engagement {e.id}"),
                                      lambda e: e.decline_change(cmd.reason))
    return {**answer, "change": "declined"}


async def close_engagement(cmd: m.EngagementCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Close an engagement whose fee is approved and feedback complete (a coordinator, or its orderer).
    Normally it closes by itself when the second of those arrives."""
    ctx.require_role(Role.coordinator, Role.orderer)
    may = _the_orderer(ctx.actor) if ctx.actor.role is Role.orderer else (lambda _: None)
    return await _change_engagement(cmd, ctx, may, Engagement.close)


async def close_unanswered(deps: Deps) -> int:
    """Close each engagement whose fee is approved and whose feedback forms' answer period has ended, naming the
    forms missing; return how many closed (a background job)."""
    today = deps.clock.today()
    due = await deps.views.engagements_awaiting_feedback(delivered_before=today - FEEDBACK_ANSWER_PERIOD)
    return await change_each(deps, due, "close", lambda engagement: engagement.close_unanswered(today))


async def change_each(deps: Deps, engagement_ids: Iterable[uuid.UUID], purpose: str,
                      change: Callable[[Engagement], bool]) -> int:
    """A job's change to each engagement, each in its own transaction (``change`` says whether it recorded
    anything); return how many changed. One that changed meanwhile is left for the job's next run."""
    changed = 0
    for engagement_id in engagement_ids:
        try:
            async with deps.uow.begin() as session:
                engagement = await session.load(Engagement, str(engagement_id), what="engagement")
                # Every replica runs the job: the same engagement at the same version gets the same event ids.
                meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(engagement.engagement_id,
                                                                    f"{purpose}@{engagement.version}"),
                                engagement_id=engagement.engagement_id)
                if change(engagement):
                    await session.save(engagement, meta)
                    changed += 1
        except ConcurrencyConflict:
            continue  # a form, the fee or a cancellation arrived meanwhile: the next run looks again
    return changed

"""Commands on an engagement: its delivery confirmed, cancelled by either side, closed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Engagement
from services.orders.handlers.common import require_own
from shared.events import Actor, Role
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
        lambda e: e.confirm_delivery(cmd.actual_hours, cmd.kilometres, cmd.other_expenses),
    )


async def cancel_engagement(cmd: m.CancelEngagement, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Either side cancels an engagement before delivery, with a reason (its orderer or its expert)."""
    ctx.require_role(Role.orderer, Role.expert)

    def is_party(e: Engagement) -> None:
        require_own(ctx.actor, e.orderer_id if ctx.actor.role is Role.orderer else e.expert_id, f"engagement {e.id}")

    return await _change_engagement(cmd, ctx, is_party, lambda e: e.cancel(ctx.actor.role.value, cmd.reason))


async def close_engagement(cmd: m.EngagementCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Close an engagement whose fee is approved and feedback complete (a coordinator, or its orderer).
    Normally it closes by itself when the second of those arrives."""
    ctx.require_role(Role.coordinator, Role.orderer)
    may = _the_orderer(ctx.actor) if ctx.actor.role is Role.orderer else (lambda _: None)
    return await _change_engagement(cmd, ctx, may, Engagement.close)

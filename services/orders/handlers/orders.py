"""Placing, changing and cancelling an order (its orderer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Order
from services.orders.domain.order import CHANGEABLE
from services.orders.handlers.common import engagements_of, offered_experts, require_own
from services.orders.handlers.routes import place
from shared.events import Role
from shared.handling import CommandContext

if TYPE_CHECKING:
    from services.orders.service import Deps


async def place_order(cmd: m.PlaceOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Order experts for one task (an orderer whose credentials are valid), by one of three routes: candidates from
    the bank named in order of preference (the first ones offered the task at once), an organization whose contact
    person proposes experts, or one expert the orderer knows. Returns the order id, its route and the offers made."""
    ctx.require_role(Role.orderer)
    return await place(cmd, ctx, deps, ctx.actor.id)


async def change_order(cmd: m.ChangeOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Change the task's topic, date, length or place (the orderer, before any engagement is delivered); a change
    of its date, time, length or place is proposed to each expert already engaged (``proposed_to`` names their
    engagements), who accepts it (the contract is amended) or declines it. The reply names what changed, not the
    new values: a command's reply is kept in clear for retries, and the topic
    and place are the orderer's personal data (get_order shows them)."""
    ctx.require_role(Role.orderer)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    engagements = await engagements_of(ctx.session, order)
    order.change(deps.clock.today(), engagements, topic=cmd.topic, date=cmd.date,
                 duration_hours=cmd.duration_hours, place=cmd.place, remote=cmd.remote,
                 start_time=cmd.start_time, offered=await offered_experts(deps, order) if cmd.date else None)
    await ctx.session.save(order, ctx.meta())
    proposed = [engagement for engagement in engagements if engagement.pending]
    for engagement in proposed:  # the change proposed to its expert (or one waiting withdrawn)
        await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))
    changed = sorted(name for name in CHANGEABLE if getattr(cmd, name) is not None)
    return {"order_id": order.id, "changed": changed,
            "proposed_to": [engagement.id for engagement in proposed if engagement.proposed is not None]}


async def cancel_order(cmd: m.CancelOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Cancel an order (the orderer): open offers are withdrawn and engagements not yet delivered cancelled,
    all in one transaction."""
    ctx.require_role(Role.orderer)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    engagements = await engagements_of(ctx.session, order)
    order.cancel(cmd.reason, engagements)
    await ctx.session.save(order, ctx.meta())
    for engagement in engagements:
        await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))  # those it cancelled
    return {"order_id": str(cmd.order_id), "cancelled_engagements": [e.id for e in engagements if e.cancelled]}

"""Offers: made to listed experts, answered by them, and expired by a job when their time is up."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Offer, Order
from services.orders.handlers.common import as_json, engagements_of, offer_view, require_own
from shared.aggregate import Metadata
from shared.errors import Forbidden
from shared.events import SYSTEM, Actor, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext

if TYPE_CHECKING:
    from services.orders.service import Deps


async def make_offer(cmd: m.MakeOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Offer the task to a listed expert (the order's orderer, or a coordinator routing the order). For the
    county's own services an NGO-trained expert needs their NGO's organization agreement valid on the date."""
    ctx.require_role(Role.orderer, Role.coordinator)
    expert = await deps.views.listed_expert(cmd.expert_id)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    if ctx.actor.role is Role.orderer:
        require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    offer_id = ctx.new_id("offer")
    order.make_offer(offer_id, cmd.expert_id, expert, deps.clock.now(), await engagements_of(ctx.session, order),
                     cmd.expires_at)
    await ctx.session.save(order, ctx.meta())
    offer = order.offer(offer_id)
    return as_json({"order_id": cmd.order_id, **offer_view(offer)})


def _require_offered_to(actor: Actor, offer: Offer) -> None:
    if actor.id != offer.expert_id:
        raise Forbidden(f"offer {offer.offer_id} was made to another expert: only they may answer it")


async def accept_offer(cmd: m.AnswerOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert takes the task on: the offer is accepted and an engagement opens, in one transaction."""
    ctx.require_role(Role.expert)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_offered_to(ctx.actor, order.offer(cmd.offer_id))
    engagement_id = ctx.new_id("engagement")
    engagement = order.accept(cmd.offer_id, deps.clock.now(), await engagements_of(ctx.session, order), engagement_id)
    meta = ctx.meta(engagement_id=engagement_id)
    await ctx.session.save(order, meta)
    await ctx.session.save(engagement, meta)
    return {"engagement_id": str(engagement_id), "order_id": str(cmd.order_id), "offer_id": str(cmd.offer_id)}


async def decline_offer(cmd: m.DeclineOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert declines the offer, with a reason."""
    ctx.require_role(Role.expert)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_offered_to(ctx.actor, order.offer(cmd.offer_id))
    order.decline(cmd.offer_id, cmd.reason, deps.clock.now())
    await ctx.session.save(order, ctx.meta())
    return {"order_id": str(cmd.order_id), "offer_id": str(cmd.offer_id), "status": "declined"}


async def expire_offers(deps: Deps) -> int:
    """Record ``OfferExpired`` for each open offer whose time is up; return how many (a background job)."""
    now = deps.clock.now()
    expired = 0
    for order_id in await deps.views.orders_with_offers_due(now):
        try:
            async with deps.uow.begin() as session:
                order = await session.load(Order, str(order_id), what="order")
                # Every replica runs this job: the same order at the same version gets the same event ids,
                # so a second replica's append records nothing.
                meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(order.order_id, f"expire@{order.version}"))
                count = order.expire_offers(now)
                await session.save(order, meta)
            expired += count
        except ConcurrencyConflict:
            continue  # the order changed meanwhile (an answer came): the next tick looks again
    return expired

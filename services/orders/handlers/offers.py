"""Offers: made to listed experts, answered by them, and expired by a job when their time is up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Offer, Order
from services.orders.events import OfferReason
from services.orders.handlers.common import (
    as_json,
    away_on,
    candidate,
    candidates_of,
    engagements_of,
    offer_view,
    require_own,
)
from shared.aggregate import Metadata
from shared.errors import Forbidden
from shared.events import SYSTEM, Actor, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.orders.service import Deps


async def make_offer(cmd: m.MakeOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Offer the task to a listed expert (the order's orderer, or a coordinator routing the order). For the
    county's own services an NGO-trained expert needs their NGO's organization agreement valid on the date."""
    ctx.require_role(Role.orderer, Role.coordinator)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    if ctx.actor.role is Role.orderer:
        require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    offer_id = ctx.new_id("offer")
    expert = await candidate(deps, cmd.expert_id, order, await away_on(deps, ctx, [cmd.expert_id], order.date))
    order.make_offer(offer_id, cmd.expert_id, expert.listed, deps.clock.now(),
                     await engagements_of(ctx.session, order), cmd.expires_at, expert.bookings, expert.weekdays,
                     expert.away)
    await ctx.session.save(order, ctx.meta())
    offer = order.offer(offer_id)
    return as_json({"order_id": cmd.order_id, **offer_view(offer)})


def _require_offered_to(actor: Actor, offer: Offer) -> None:
    if actor.id != offer.expert_id:
        raise Forbidden(f"offer {offer.offer_id} was made to another expert: only they may answer it")


async def accept_offer(cmd: m.AnswerOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert takes the task on: the offer is accepted and an engagement opens, in one transaction. Refused if
    it would double-book them, or (in the county's services) their NGO's agreement no longer covers the day."""
    ctx.require_role(Role.expert)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_offered_to(ctx.actor, order.offer(cmd.offer_id))
    engagement_id = ctx.new_id("engagement")
    expert = await candidate(deps, ctx.actor.id, order)
    engagement = order.accept(cmd.offer_id, deps.clock.now(), await engagements_of(ctx.session, order), engagement_id,
                              expert.bookings, expert.listed)
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
    # The next ranked candidate is offered the task in the same transaction: the decline never leaves the
    # order waiting for someone to notice.
    await move_on(deps, ctx.session, order, OfferReason.declined, [order.offer(cmd.offer_id)])
    await ctx.session.save(order, ctx.meta())
    return {"order_id": str(cmd.order_id), "offer_id": str(cmd.offer_id), "status": "declined"}


async def rank_candidates(cmd: m.RankCandidates, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Name the experts to offer the task to, in order of preference (the order's orderer, or a coordinator
    routing it): the first ones are offered it at once, as many as the order still wants, and the next ones
    as offers are declined or expire. Replaces an earlier list."""
    ctx.require_role(Role.orderer, Role.coordinator)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    if ctx.actor.role is Role.orderer:
        require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    order.rank_candidates(list(cmd.candidates))
    away = await away_on(deps, ctx, order.next_candidates, order.date)
    made = await move_on(deps, ctx.session, order, OfferReason.ranked, away=away)
    await ctx.session.save(order, ctx.meta())
    return as_json({"order_id": cmd.order_id, "offers": [offer_view(offer) for offer in made]})


async def move_on(deps: Deps, session: Session, order: Order, reason: OfferReason,
                  after: Sequence[Offer] = (), away: frozenset[str] = frozenset()) -> list[Offer]:
    """Offer the order's task to its next ranked candidates, as many as it still wants (those in ``away`` are
    skipped: only an orderer's or a coordinator's own command can ask the registry who is away)."""
    candidates = await candidates_of(deps, order, away)
    return order.offer_to_candidates(deps.clock.now(), candidates, await engagements_of(session, order), reason, after)


async def expire_offers(deps: Deps) -> int:
    """Record ``OfferExpired`` for each open offer whose time is up, and offer each place it frees to the next
    ranked candidate; return how many expired (a background job)."""
    now = deps.clock.now()
    expired = 0
    for order_id in await deps.views.orders_with_offers_due(now):
        try:
            async with deps.uow.begin() as session:
                order = await session.load(Order, str(order_id), what="order")
                # Every replica runs this job: the same order at the same version gets the same event ids,
                # so a second replica's append records nothing.
                meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(order.order_id, f"expire@{order.version}"))
                due = order.expire_offers(now)
                await move_on(deps, session, order, OfferReason.expired, due)
                await session.save(order, meta)
            expired += len(due)
        except ConcurrencyConflict:
            continue  # the order changed meanwhile (an answer came): the next tick looks again
    return expired

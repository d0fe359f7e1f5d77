"""Offers and orders: the expert is told of a new offer at once, and reminded once, a day before it expires, of
one still unanswered (the reminder job); and of a change to the task of an offer or engagement. The offers not
yet answered are kept from the orders service's events."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from services.notifications.events import MessageKind
from services.notifications.reactions import engagement_page, remind, tell
from services.notifications.views import OpenOffer
from services.orders import events as orders
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.notifications.service import Deps

OFFERS_PAGE = "/expert/offers"


async def on_offer_made(event: Envelope[orders.OfferMade], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_offer(OpenOffer(e.offer_id, e.expert_id, e.expires_at, event.event_id, e.order_id),
                                    ctx.session.connection)
    await tell(ctx, deps, e.expert_id, MessageKind.offer_made, OFFERS_PAGE)


async def on_offer_closed(event: Envelope[orders.OfferAccepted | orders.OfferDeclined | orders.OfferExpired
                                          | orders.OfferWithdrawn], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.close_offer(e.offer_id, e.expert_id, e.order_id, ctx.session.connection)


async def on_order_changed(event: Envelope[orders.OrderChanged], ctx: EventContext, deps: Deps) -> None:
    """The orderer changed the task: its experts are told (not what changed: the topic and place are the
    orderer's words), those engaged on their engagement's page, those with an offer on their offers."""
    order_id, connection = event.payload.order_id, ctx.session.connection
    for engagement_id, expert_id in await deps.views.engagements_of_order(order_id, connection):
        await tell(ctx, deps, expert_id, MessageKind.task_changed, engagement_page(engagement_id))
    for offer in await deps.views.open_offers_of_order(order_id, connection):
        await tell(ctx, deps, offer.expert_id, MessageKind.task_changed, OFFERS_PAGE)


class OrderNotSeen(Exception):
    """An order's event came before its OrderPlaced was handled (retried, then dead-lettered)."""


async def on_order_placed(event: Envelope[orders.OrderPlaced], ctx: EventContext, deps: Deps) -> None:
    await deps.views.remember_order(event.payload.order_id, event.payload.orderer_id, ctx.session.connection)


async def on_no_candidates_left(event: Envelope[orders.NoCandidatesLeft], ctx: EventContext, deps: Deps) -> None:
    """Every candidate had their turn: the orderer is asked to name more, on the order's page."""
    order_id = event.payload.order_id
    orderer_id = await deps.views.orderer_of(order_id, ctx.session.connection)
    if orderer_id is None:
        raise OrderNotSeen(f"an event of order {order_id} before its OrderPlaced")
    await tell(ctx, deps, orderer_id, MessageKind.candidates_exhausted, f"/orders/{order_id}")


async def remind_expiring_offers(deps: Deps) -> int:
    """Remind each expert of an offer still open that expires within the warning time, once; return how many
    reminders were queued. Safe on every replica."""
    now = deps.clock.now()
    queued = 0
    for offer in await deps.views.offers_expiring(now, now + deps.offer_warning):
        queued += await remind(deps, offer.expert_id, MessageKind.offer_expiring, OFFERS_PAGE, offer.made_event_id,
                               partial(deps.views.offer_reminded, offer.offer_id))
    return queued

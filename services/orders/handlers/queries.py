"""Queries: an order with its offers, an engagement, and the lists each role sees."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Engagement, Offer, OfferStatus, Order
from services.orders.handlers.common import as_json, offer_view
from shared.errors import Forbidden
from shared.events import Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.orders.service import Deps


ANSWERED = (OfferStatus.accepted, OfferStatus.declined, OfferStatus.expired)


def _candidates_view(order: Order) -> dict[str, Any]:
    """Who has answered, who is still waiting to, and whose turn comes next: the orderer's picture of it."""
    offers = order.offers.values()
    return {
        "ranked": order.candidates,
        "answered": [{"expert_id": o.expert_id, "answer": o.status} for o in offers if o.status in ANSWERED],
        "waiting": [{"expert_id": o.expert_id, "expires_at": o.expires_at} for o in offers
                    if o.status is OfferStatus.open],
        "next": order.next_candidates,
        "skipped": [{"expert_id": expert_id, "reason": reason} for expert_id, reason in order.skipped.items()],
        "none_left": order.out_of_candidates,
    }


def order_view(order: Order, offers: Iterable[Offer], *, whole: bool = True) -> dict[str, Any]:
    """The order with the given offers; ``whole`` adds its candidates (not for an expert offered it)."""
    return as_json({
        "order_id": order.id, "orderer_id": order.orderer_id, "orderer_organization_id": order.orderer_organization_id,
        "county_service": order.county_service, "task_type": order.task_type, "topic": order.topic,
        "date": order.date, "start_time": order.start_time, "duration_hours": order.duration_hours,
        "place": order.place, "remote": order.remote,
        "experts_wanted": order.experts_wanted, "fee": order.fee, "cancelled": order.cancelled,
        "offers": [offer_view(offer) for offer in offers],
        "candidates": _candidates_view(order) if whole else None,
        "route": order.route, "organization_id": order.organization_id, "taken_by": order.taken_by,
        "taken_via": order.taken_via, "awaiting": order.awaiting, "declined_by": order.declined_by,
    })


async def get_order(query: m.GetOrder, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An order with its offers: for its orderer, coordinators, auditors and the contact persons of the organization
    it is addressed to; for an expert, with only the offers made to them."""
    order = await deps.uow.load(Order, str(query.order_id), what="order")
    actor = ctx.actor
    addressed = (actor.role is Role.organization_contact and order.organization_id is not None
                 and actor.organization_id == order.organization_id)
    if (actor.role in (Role.coordinator, Role.auditor) or addressed
            or (actor.role is Role.orderer and actor.id == order.orderer_id)):
        return order_view(order, order.offers.values())
    own = [offer for offer in order.offers.values() if offer.expert_id == actor.id]
    if actor.role is Role.expert and own:
        return order_view(order, own, whole=False)
    raise Forbidden(
        f"only the orderer of order {query.order_id}, an expert offered it, the organization it is addressed to, a "
        "coordinator or an auditor may see it"
    )


async def get_engagement(query: m.GetEngagement, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An engagement's status, ids and terms, with a change of them waiting for the expert's answer
    (``proposed_change``: the terms that change) or the last one they declined (``declined_change``, with their
    reason) (its orderer, its expert, coordinators and auditors)."""
    e = await deps.uow.load(Engagement, str(query.engagement_id), what="engagement")
    actor = ctx.actor
    party = {Role.orderer: e.orderer_id, Role.expert: e.expert_id}.get(actor.role)
    if actor.role not in (Role.coordinator, Role.auditor) and actor.id != party:
        raise Forbidden(f"only the parties of engagement {e.id}, a coordinator or an auditor may see it")
    return as_json({
        "engagement_id": e.id, "status": e.status, "order_id": e.order_id, "offer_id": e.offer_id,
        "expert_id": e.expert_id, "orderer_id": e.orderer_id, "contract_id": e.contract_id,
        "task_type": e.task_type, "topic": e.topic, "date": e.date, "start_time": e.start_time,
        "duration_hours": e.duration_hours,
        "remote": e.remote, "fee": e.fee, "fee_approved": e.fee_approved, "feedback_complete": e.feedback_complete,
        "cancelled": e.cancelled, "cancelled_after_signing": e.cancelled_after_signing, "fee_owed": e.fee_owed,
        "owed_fee_paid": e.owed_fee_paid, "forms_in": sorted(e.forms_in),
        "answers_due_by": e.answers_due_by, "feedback_missing": e.feedback_missing,
        "place": e.place, "proposed_change": e.proposed, "declined_change": e.declined,
    })


async def list_engagements(query: m.ListEngagements, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Engagements, newest first: all for coordinators and auditors, their own for an orderer or an expert."""
    actor = ctx.actor
    ctx.require_role(Role.coordinator, Role.auditor, Role.orderer, Role.expert)
    own = {Role.orderer: {"orderer_id": actor.id}, Role.expert: {"expert_id": actor.id}}.get(actor.role, {})
    return [as_json(row) for row in await deps.views.engagements(status=query.status, **own)]


async def list_offers(query: m.ListOffers, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The offers made to the expert asking, latest expiry first, each with its order's task (the expert)."""
    ctx.require_role(Role.expert)
    listed = []
    for row in await deps.views.offers_to(ctx.actor.id, query.status):
        order = await deps.uow.load(Order, str(row["order_id"]), what="order")
        listed.append(as_json({**row, "engagement_id": order.offer(row["offer_id"]).engagement_id,
                             "task_type": order.task_type, "topic": order.topic, "date": order.date,
                             "duration_hours": order.duration_hours, "place": order.place, "remote": order.remote,
                             "fee": order.fee, "order_cancelled": order.cancelled}))
    return listed


async def list_orders(query: m.ListOrders, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The orders the orderer asking placed, newest first, each with its offers (the orderer)."""
    ctx.require_role(Role.orderer)
    listed = []
    for order_id in await deps.views.orders_of(ctx.actor.id):
        order = await deps.uow.load(Order, str(order_id), what="order")
        listed.append(order_view(order, order.offers.values()))
    return listed

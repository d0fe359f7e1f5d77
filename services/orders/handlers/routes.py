"""The four ways an order reaches its experts: placed by the orderer (from the bank, to an organization, or directly
to an expert they know), or taken by the coordinator for an orderer and routed; the organization's contact person
proposes experts or declines; the coordinator routes what waits for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.domain import Order
from services.orders.events import OfferReason, OrderRoute
from services.orders.handlers.common import as_json, away_on, candidate, in_county_services, member, offer_view
from services.orders.handlers.offers import move_on
from services.orders.handlers.queries import order_view
from shared.errors import invalid
from shared.events import Role
from shared.handling import CommandContext, QueryContext

if TYPE_CHECKING:
    from services.orders.service import Deps

ROUTES = {"candidates": OrderRoute.bank, "organization_id": OrderRoute.organization, "expert_id": OrderRoute.direct}


def route_of(cmd: m.PlaceOrder) -> OrderRoute:
    """The route the order names: candidates from the bank, an organization, an expert; none: the bank's."""
    named = [name for name in ROUTES if getattr(cmd, name)]
    if len(named) > 1:
        raise invalid(named[1], f"is given with {named[0]}",
                      "one route: candidates from the bank, an organization_id, or an expert_id")
    return ROUTES[named[0]] if named else OrderRoute.bank


async def place(cmd: m.PlaceOrder, ctx: CommandContext, deps: Deps, orderer_id: str,
                taken_via: m.TakenVia | None = None) -> dict[str, Any]:
    """Place the order for the orderer (taken by the coordinator asking, when ``taken_via``), and start its route:
    offers to the first candidates, or to the one expert; addressed to the organization."""
    route = route_of(cmd)
    kind = await deps.views.organization_kind(cmd.organization_id) if cmd.organization_id else None
    if cmd.organization_id and kind is None:
        raise invalid("organization_id", f"names no organization the registry knows ({cmd.organization_id})",
                      "the id of a registered organization")
    taken_by = ctx.actor.id if taken_via else None
    order_id = ctx.new_id("order")
    credentials = await deps.views.credentials(orderer_id)
    order = Order.place_order(
        order_id, orderer_id, credentials, deps.clock.today(),
        task_type=cmd.task_type, topic=cmd.topic, date=cmd.date, duration_hours=cmd.duration_hours,
        place=cmd.place, remote=cmd.remote, experts_wanted=cmd.experts_wanted,
        county_service=await in_county_services(deps, credentials),
        fee=cmd.fee, start_time=cmd.start_time, route=OrderRoute.coordinator if taken_by else route,
        organization_id=None if taken_by else cmd.organization_id, taken_by=taken_by,
        taken_via=taken_via.value if taken_via else None,
    )
    offers = []
    if taken_by and cmd.organization_id:
        order.route_to_organization(cmd.organization_id, kind)
    if cmd.expert_id:
        expert = await candidate(deps, cmd.expert_id, order, await away_on(deps, ctx, [cmd.expert_id], cmd.date))
        offers = [order.make_offer(ctx.new_id("offer"), cmd.expert_id, expert.listed, deps.clock.now(), [],
                                   bookings=expert.bookings, weekdays=expert.weekdays, away=expert.away)]
    elif cmd.candidates:
        order.rank_candidates(list(cmd.candidates))
        offers = await move_on(deps, ctx.session, order, OfferReason.ranked,
                               away=await away_on(deps, ctx, order.next_candidates, cmd.date))
    await ctx.session.save(order, ctx.meta())
    return as_json({"order_id": order_id, "route": order.route, "awaiting": order.awaiting,
                    "offers": [offer_view(offer) for offer in offers]})


async def take_order(cmd: m.TakeOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The coordinator records an order an orderer gave by phone or e-mail, as taken by them for that orderer (whose
    credentials must hold: the orderer signs the contract). Routed at once if the command names a route."""
    ctx.require_role(Role.coordinator)
    return await place(cmd, ctx, deps, cmd.orderer_id, cmd.taken_via)


async def route_order(cmd: m.RouteOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The coordinator routes an order to an organization, whose contact person proposes experts or declines."""
    ctx.require_role(Role.coordinator)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    order.route_to_organization(cmd.organization_id, await deps.views.organization_kind(cmd.organization_id))
    await ctx.session.save(order, ctx.meta())
    return {"order_id": order.id, "organization_id": cmd.organization_id, "awaiting": order.awaiting}


async def propose_experts(cmd: m.ProposeExperts, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The contact person of the organization the order is addressed to proposes its trained, active members, in
    order of preference: the first ones are offered the task at once, the next as offers are declined or expire."""
    ctx.require_role(Role.organization_contact)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    members = {expert_id: await member(deps, expert_id) for expert_id in cmd.candidates}
    order.propose_experts(ctx.actor.organization_id, list(cmd.candidates), members)
    made = await move_on(deps, ctx.session, order, OfferReason.ranked,
                         away=await away_on(deps, ctx, order.next_candidates, order.date))
    await ctx.session.save(order, ctx.meta())
    return as_json({"order_id": cmd.order_id, "offers": [offer_view(offer) for offer in made]})


async def decline_order(cmd: m.DeclineOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The contact person of the organization the order is addressed to declines it, with a reason: the order goes
    to the coordinator's queue to be routed elsewhere."""
    ctx.require_role(Role.organization_contact)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    order.decline_by_organization(ctx.actor.organization_id, cmd.reason)
    await ctx.session.save(order, ctx.meta())
    return {"order_id": order.id, "awaiting": order.awaiting}


async def _orders(deps: Deps, order_ids: list[Any]) -> list[dict[str, Any]]:
    return [order_view(order, order.offers.values())
            for order in [await deps.uow.load(Order, str(order_id), what="order") for order_id in order_ids]]


async def list_incoming_orders(query: m.ListIncomingOrders, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The orders addressed to the contact person's organization, oldest first, each with its offers and candidates
    (``awaiting`` says whether the organization is still to propose experts)."""
    ctx.require_role(Role.organization_contact)
    organization_id = ctx.actor.organization_id
    return await _orders(deps, await deps.views.incoming_orders(organization_id) if organization_id else [])


async def list_orders_to_route(query: m.ListOrdersToRoute, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The coordinator's queue: orders taken for an orderer and not yet routed, declined by the organization they
    were addressed to, or out of candidates, oldest first."""
    ctx.require_role(Role.coordinator)
    return await _orders(deps, await deps.views.orders_to_route())

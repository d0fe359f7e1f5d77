"""The orders service's handlers: commands and queries from the bus, events from other services, and the
offer-expiry job. Each checks the actor's role and ownership, loads, lets the domain decide, and saves.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.orders.service.Deps`. The tables at the end map names on the bus, and each
source service's event classes, to handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.orders import messages as m
from services.orders.domain import Engagement, Offer, Order
from services.registry import events as registry
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Forbidden
from shared.events import SYSTEM, Actor, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, Commands, Consumed, EventContext, Queries, QueryContext
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.orders.service import Deps


def _json(value: dict[str, Any]) -> dict[str, Any]:
    """Ids, dates and amounts as the JSON reply carries them."""
    jsonable: dict[str, Any] = to_jsonable_python(value)
    return jsonable


def _require_own(actor: Actor, owner_id: str, what: str) -> None:
    if actor.id != owner_id:
        raise Forbidden(f"{what} is not yours: only its {actor.role.value} may do this")


async def _engagements_of(session: Session, order: Order) -> list[Engagement]:
    return [await session.load(Engagement, str(engagement_id)) for engagement_id in order.engagement_ids]


# -- orders ----------------------------------------------------------------------------------------------

async def place_order(cmd: m.PlaceOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Order experts for one task (an orderer whose credentials are valid). Returns the order id."""
    ctx.require_role(Role.orderer)
    order_id = ctx.new_id("order")
    order = Order.place_order(
        order_id, ctx.actor.id, await deps.views.credentials(ctx.actor.id), deps.clock.today(),
        task_type=cmd.task_type, topic=cmd.topic, date=cmd.date, duration_hours=cmd.duration_hours,
        place=cmd.place, remote=cmd.remote, experts_wanted=cmd.experts_wanted, county_service=cmd.county_service,
        fee=cmd.fee,
    )
    await ctx.session.save(order, ctx.meta())
    return {"order_id": str(order_id)}


async def change_order(cmd: m.ChangeOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Change the task's topic, date, length or place (the orderer, before any engagement is delivered). The
    reply names what changed, not the new values: a command's reply is kept in clear for retries, and the topic
    and place are the orderer's personal data (get_order shows them)."""
    ctx.require_role(Role.orderer)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    order.change(deps.clock.today(), await _engagements_of(ctx.session, order), topic=cmd.topic, date=cmd.date,
                 duration_hours=cmd.duration_hours, place=cmd.place, remote=cmd.remote)
    await ctx.session.save(order, ctx.meta())
    changed = sorted(name for name in ("topic", "date", "duration_hours", "place", "remote")
                     if getattr(cmd, name) is not None)
    return {"order_id": order.id, "changed": changed}


async def cancel_order(cmd: m.CancelOrder, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Cancel an order (the orderer): open offers are withdrawn and engagements not yet delivered cancelled,
    all in one transaction."""
    ctx.require_role(Role.orderer)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    engagements = await _engagements_of(ctx.session, order)
    order.cancel(cmd.reason, engagements)
    await ctx.session.save(order, ctx.meta())
    for engagement in engagements:
        await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))  # those it cancelled
    return {"order_id": str(cmd.order_id), "cancelled_engagements": [e.id for e in engagements if e.cancelled]}


# -- offers ----------------------------------------------------------------------------------------------

async def make_offer(cmd: m.MakeOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Offer the task to a listed expert (the order's orderer, or a coordinator routing the order). For the
    county's own services an NGO-trained expert needs their NGO's organization agreement valid on the date."""
    ctx.require_role(Role.orderer, Role.coordinator)
    expert = await deps.views.listed_expert(cmd.expert_id)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    if ctx.actor.role is Role.orderer:
        _require_own(ctx.actor, order.orderer_id, f"order {cmd.order_id}")
    offer_id = ctx.new_id("offer")
    order.make_offer(offer_id, cmd.expert_id, expert, deps.clock.now(), await _engagements_of(ctx.session, order),
                     cmd.expires_at)
    await ctx.session.save(order, ctx.meta())
    offer = order.offer(offer_id)
    return _json({"order_id": cmd.order_id, **_offer_view(offer)})


def _require_offered_to(actor: Actor, offer: Offer) -> None:
    if actor.id != offer.expert_id:
        raise Forbidden(f"offer {offer.offer_id} was made to another expert: only they may answer it")


async def accept_offer(cmd: m.AnswerOffer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert takes the task on: the offer is accepted and an engagement opens, in one transaction."""
    ctx.require_role(Role.expert)
    order = await ctx.session.load(Order, str(cmd.order_id), what="order")
    _require_offered_to(ctx.actor, order.offer(cmd.offer_id))
    engagement_id = ctx.new_id("engagement")
    engagement = order.accept(cmd.offer_id, deps.clock.now(), await _engagements_of(ctx.session, order), engagement_id)
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


# -- engagements -----------------------------------------------------------------------------------------

async def _change_engagement(cmd: m.EngagementCommand, ctx: CommandContext, may: Callable[[Engagement], None],
                             change: Callable[[Engagement], None]) -> dict[str, Any]:
    engagement = await ctx.session.load(Engagement, str(cmd.engagement_id), what="engagement")
    may(engagement)
    change(engagement)
    await ctx.session.save(engagement, ctx.meta(engagement_id=engagement.engagement_id))
    return {"engagement_id": engagement.id, "status": engagement.status.value}


def _the_orderer(actor: Actor) -> Callable[[Engagement], None]:
    return lambda e: _require_own(actor, e.orderer_id, f"engagement {e.id}")


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
        _require_own(ctx.actor, e.orderer_id if ctx.actor.role is Role.orderer else e.expert_id, f"engagement {e.id}")

    return await _change_engagement(cmd, ctx, is_party, lambda e: e.cancel(ctx.actor.role.value, cmd.reason))


async def close_engagement(cmd: m.EngagementCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Close an engagement whose fee is approved and feedback complete (a coordinator, or its orderer).
    Normally it closes by itself when the second of those arrives."""
    ctx.require_role(Role.coordinator, Role.orderer)
    may = _the_orderer(ctx.actor) if ctx.actor.role is Role.orderer else (lambda _: None)
    return await _change_engagement(cmd, ctx, may, Engagement.close)


# -- queries ---------------------------------------------------------------------------------------------

def _offer_view(offer: Offer) -> dict[str, Any]:
    return {"offer_id": offer.offer_id, "expert_id": offer.expert_id, "expires_at": offer.expires_at,
            "status": offer.status, "engagement_id": offer.engagement_id}


def _order_view(order: Order, offers: Iterable[Offer]) -> dict[str, Any]:
    return _json({
        "order_id": order.id, "orderer_id": order.orderer_id, "orderer_organization_id": order.orderer_organization_id,
        "county_service": order.county_service, "task_type": order.task_type, "topic": order.topic,
        "date": order.date, "duration_hours": order.duration_hours, "place": order.place, "remote": order.remote,
        "experts_wanted": order.experts_wanted, "fee": order.fee, "cancelled": order.cancelled,
        "offers": [_offer_view(offer) for offer in offers],
    })


async def get_order(query: m.GetOrder, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An order with its offers: for its orderer, coordinators and auditors; for an expert, with only the
    offers made to them."""
    order = await deps.uow.load(Order, str(query.order_id), what="order")
    actor = ctx.actor
    if actor.role in (Role.coordinator, Role.auditor) or (actor.role is Role.orderer and actor.id == order.orderer_id):
        return _order_view(order, order.offers.values())
    own = [offer for offer in order.offers.values() if offer.expert_id == actor.id]
    if actor.role is Role.expert and own:
        return _order_view(order, own)
    raise Forbidden(
        f"only the orderer of order {query.order_id}, an expert offered it, a coordinator or an auditor may see it"
    )


async def get_engagement(query: m.GetEngagement, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An engagement's status and ids (its orderer, its expert, coordinators and auditors)."""
    e = await deps.uow.load(Engagement, str(query.engagement_id), what="engagement")
    actor = ctx.actor
    party = {Role.orderer: e.orderer_id, Role.expert: e.expert_id}.get(actor.role)
    if actor.role not in (Role.coordinator, Role.auditor) and actor.id != party:
        raise Forbidden(f"only the parties of engagement {e.id}, a coordinator or an auditor may see it")
    return _json({
        "engagement_id": e.id, "status": e.status, "order_id": e.order_id, "offer_id": e.offer_id,
        "expert_id": e.expert_id, "orderer_id": e.orderer_id, "contract_id": e.contract_id,
        "task_type": e.task_type, "topic": e.topic, "date": e.date, "duration_hours": e.duration_hours,
        "remote": e.remote, "fee": e.fee, "fee_approved": e.fee_approved, "feedback_complete": e.feedback_complete,
        "cancelled_after_signing": e.cancelled_after_signing,
    })


async def list_engagements(query: m.ListEngagements, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Engagements, newest first: all for coordinators and auditors, their own for an orderer or an expert."""
    actor = ctx.actor
    ctx.require_role(Role.coordinator, Role.auditor, Role.orderer, Role.expert)
    own = {Role.orderer: {"orderer_id": actor.id}, Role.expert: {"expert_id": actor.id}}.get(actor.role, {})
    return [_json(row) for row in await deps.views.engagements(status=query.status, **own)]


async def list_offers(query: m.ListOffers, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The offers made to the expert asking, latest expiry first, each with its order's task (the expert)."""
    ctx.require_role(Role.expert)
    listed = []
    for row in await deps.views.offers_to(ctx.actor.id, query.status):
        order = await deps.uow.load(Order, str(row["order_id"]), what="order")
        listed.append(_json({**row, "engagement_id": order.offer(row["offer_id"]).engagement_id,
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
        listed.append(_order_view(order, order.offers.values()))
    return listed


# -- events from other services --------------------------------------------------------------------------

async def keep_registry_view(event: Envelope[Any], ctx: EventContext, deps: Deps) -> None:
    """A registry fact (a listing, credentials, an organization or its agreement) updates the views."""
    await deps.views.project(event, ctx.session.connection)


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    """The expert was erased: off the views, and this service's key of them shredded, so the reasons they gave
    (a declined offer, a cancelled engagement) read as erased here too."""
    await deps.views.project(event, ctx.session.connection)
    await ctx.session.shred(event.payload.expert_id)


async def _react(ctx: EventContext, engagement_id: uuid.UUID, change: Callable[[Engagement], None]) -> None:
    # Orders records an engagement before any other service can know of it, so a missing one is an
    # inconsistency: the error makes the message retry, then wait among the dead letters.
    engagement = await ctx.session.load(Engagement, str(engagement_id), what="engagement")
    change(engagement)
    await ctx.session.save(engagement, ctx.meta(engagement_id=engagement_id))


async def confirm_engagement(event: Envelope[contracts.ContractFullySigned], ctx: EventContext, deps: Deps) -> None:
    """Both parties signed the assignment contract: the engagement is confirmed."""
    signed = event.payload
    await _react(ctx, signed.engagement_id, lambda e: e.confirm(signed.contract_id))


async def note_fee_approved(event: Envelope[contracts.FeeApproved], ctx: EventContext, deps: Deps) -> None:
    """The fee is approved; with the feedback complete too, the engagement closes."""
    approved = event.payload
    await _react(ctx, approved.engagement_id, lambda e: e.note_fee_approved(approved.contract_id))


async def note_feedback_complete(event: Envelope[feedback.FeedbackCompleted], ctx: EventContext, deps: Deps) -> None:
    """Both feedback forms are in; with the fee approved too, the engagement closes."""
    await _react(ctx, event.payload.engagement_id, Engagement.note_feedback_complete)


COMMANDS: Commands = {
    "place_order": (m.PlaceOrder, place_order),
    "change_order": (m.ChangeOrder, change_order),
    "cancel_order": (m.CancelOrder, cancel_order),
    "make_offer": (m.MakeOffer, make_offer),
    "accept_offer": (m.AnswerOffer, accept_offer),
    "decline_offer": (m.DeclineOffer, decline_offer),
    "confirm_delivery": (m.ConfirmDelivery, confirm_delivery),
    "cancel_engagement": (m.CancelEngagement, cancel_engagement),
    "close_engagement": (m.EngagementCommand, close_engagement),
}

QUERIES: Queries = {
    "get_order": (m.GetOrder, get_order),
    "get_engagement": (m.GetEngagement, get_engagement),
    "list_engagements": (m.ListEngagements, list_engagements),
    "list_offers": (m.ListOffers, list_offers),
    "list_orders": (m.ListOrders, list_orders),
}

REGISTRY_FACTS = (
    registry.ExpertListed, registry.ExpertUnlisted, registry.OrganizationRegistered,
    registry.OrganizationAgreementSigned, registry.OrganizationAgreementEnded,
    registry.OrdererCredentialsGranted, registry.OrdererCredentialsRevoked,
)

CONSUMES: Consumed = {
    "registry": {**dict.fromkeys(REGISTRY_FACTS, keep_registry_view), registry.ExpertErased: on_expert_erased},
    "contracts": {
        contracts.ContractFullySigned: confirm_engagement,
        contracts.FeeApproved: note_fee_approved,
    },
    "feedback": {feedback.FeedbackCompleted: note_feedback_complete},
}

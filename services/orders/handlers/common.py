"""What the orders handlers share: the JSON a reply carries, ownership checks, an order's engagements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from services.orders.domain import Candidate, Credentials, Engagement, ListedExpert, Offer, OfferStatus, Order
from services.orders.events import OrderRoute
from services.registry.events import OrganizationKind
from shared.errors import Forbidden
from shared.events import Actor
from shared.handling import QueryContext
from shared.messaging.subjects import query_subject
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.orders.service import Deps


def as_json(value: dict[str, Any]) -> dict[str, Any]:
    """Ids, dates and amounts as the JSON reply carries them."""
    jsonable: dict[str, Any] = to_jsonable_python(value)
    return jsonable


def require_own(actor: Actor, owner_id: str, what: str) -> None:
    if actor.id != owner_id:
        raise Forbidden(f"{what} is not yours: only its {actor.role.value} may do this")


async def engagements_of(session: Session, order: Order) -> list[Engagement]:
    return [await session.load(Engagement, str(engagement_id)) for engagement_id in order.engagement_ids]


def offer_view(offer: Offer) -> dict[str, Any]:
    return {"offer_id": offer.offer_id, "expert_id": offer.expert_id, "expires_at": offer.expires_at,
            "status": offer.status, "engagement_id": offer.engagement_id, "reason": offer.reason, "rank": offer.rank}


async def candidate(deps: Deps, expert_id: str, order: Order, away: frozenset[str] = frozenset()) -> Candidate:
    """What an offer of the order's task to the expert is decided with: their listing (for an order that did not
    come from the bank, their trained membership of an organization will do), their bookings that day, the days
    of the week they take assignments on, and whether they are among ``away`` that day."""
    expert = await deps.views.listed_expert(expert_id)
    if expert is None and order.route is not OrderRoute.bank:
        expert = await deps.views.trained_member(expert_id)
    return Candidate(expert, await deps.views.bookings(expert_id, order.date), await deps.views.weekdays(expert_id),
                     away=expert_id in away)


async def away_on(deps: Deps, ctx: QueryContext, expert_ids: Iterable[str], day: dt.date) -> frozenset[str]:
    """Which of the experts marked the day as a date away in the registry. The dates reach orders sealed with the
    registry's key, so the registry is asked, in the caller's name (their token relayed: it answers those who may
    search the bank), and tells only who. Nothing is asked without a requester (composed without a bus)."""
    asked = list(dict.fromkeys(expert_ids))
    if deps.requester is None or not asked:
        return frozenset()
    found = await deps.requester(query_subject("registry", "experts_away"),
                                 {"expert_ids": asked, "date": day.isoformat()}, token=ctx.token)
    return frozenset(found["away"])


async def in_county_services(deps: Deps, credentials: Credentials | None) -> bool:
    """Whether an orderer's tasks are in the county's own services: the registry registered their organization as
    the county's (its kind), so the county's rule for NGO-trained experts applies."""
    if credentials is None or credentials.organization_id is None:
        return False
    return await deps.views.organization_kind(credentials.organization_id) == OrganizationKind.county.value


async def offered_experts(deps: Deps, order: Order) -> dict[str, ListedExpert | None]:
    """What is known of each expert with an open offer on the order."""
    return {offer.expert_id: (await candidate(deps, offer.expert_id, order)).listed
            for offer in order.offers.values() if offer.status is OfferStatus.open}


async def member(deps: Deps, expert_id: str) -> ListedExpert | None:
    """The expert as a trained, active member of their organizations (listed in the bank or not), or None."""
    return await deps.views.listed_expert(expert_id) or await deps.views.trained_member(expert_id)


async def candidates_of(deps: Deps, order: Order, away: frozenset[str] = frozenset()) -> dict[str, Candidate]:
    """The same for each of the order's next candidates."""
    return {expert_id: await candidate(deps, expert_id, order, away) for expert_id in order.next_candidates}

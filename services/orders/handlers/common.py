"""What the orders handlers share: the JSON a reply carries, ownership checks, an order's engagements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from services.orders.domain import Candidate, Engagement, Offer, Order
from shared.errors import Forbidden
from shared.events import Actor
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


async def candidate(deps: Deps, expert_id: str, order: Order) -> Candidate:
    """What an offer of the order's task to the expert is decided with: their listing, and their bookings that day."""
    return Candidate(await deps.views.listed_expert(expert_id), await deps.views.bookings(expert_id, order.date))


async def candidates_of(deps: Deps, order: Order) -> dict[str, Candidate]:
    """The same for each of the order's next candidates."""
    return {expert_id: await candidate(deps, expert_id, order) for expert_id in order.next_candidates}

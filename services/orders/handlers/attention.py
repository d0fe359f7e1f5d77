"""Engagements needing the coordinator's attention: a task in the county's services whose expert's NGO no longer has
an organization agreement with the county covering its date, flagged by a job that reads the registry's agreements as
orders keeps them, and listed for the coordinator."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from services.orders import messages as m
from services.orders.handlers.common import as_json, member
from services.orders.handlers.engagements import change_each
from shared.events import Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.orders.service import Deps


async def check_county_agreements(deps: Deps) -> int:
    """Flag each engagement in the county's services still to be done whose expert may no longer serve the county on
    its date (their NGO's agreement ended or ran out before it), and clear the flag when an agreement covers the date
    again; return how many changed (a background job: an agreement ending is seen within a run of it)."""
    covered: dict[uuid.UUID, bool] = {}
    for row in await deps.views.county_engagements_ahead(deps.clock.today()):
        expert = await member(deps, row["expert_id"])
        if expert is None:  # no longer a member anywhere: not this rule's concern (the orderer or expert cancels)
            continue
        still_covered = expert.may_serve_the_county_on(row["date"])
        if still_covered is row["agreement_lapsed"]:  # flagged but covered again, or not flagged and lapsed
            covered[row["engagement_id"]] = still_covered
    return await change_each(deps, covered, "county-agreement",
                             lambda engagement: engagement.note_county_agreement(covered[engagement.engagement_id]))


async def list_engagements_needing_attention(query: m.ListEngagementsNeedingAttention, ctx: QueryContext,
                                             deps: Deps) -> list[dict[str, Any]]:
    """The engagements still to be done that need the coordinator: their expert's NGO agreement with the county no
    longer covers the task's date (``attention``: "county_agreement"), soonest first (coordinators)."""
    ctx.require_role(Role.coordinator)
    return [as_json(row) for row in await deps.views.engagements_needing_attention()]

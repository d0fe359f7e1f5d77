"""The feedback service's handlers for the experts' wellbeing follow-ups: the organizations each expert
belongs to (from the registry's events), the follow-ups a low own-wellbeing answer raises, and the query that
shows an organization's follow-ups to its contact person alone. ``handlers.py`` lists them in its tables."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from services.feedback import messages as m
from services.feedback.wellbeing import WellbeingFollowUp, follow_up_id, sealing_subject
from services.registry import events as registry
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Forbidden
from shared.events import SYSTEM, Role
from shared.handling import CommandContext, EventContext, QueryContext

if TYPE_CHECKING:
    from services.feedback.service import Deps

log = logging.getLogger(__name__)


async def raise_follow_ups(ctx: CommandContext, deps: Deps, engagement_id: uuid.UUID, expert_id: str) -> int:
    """A follow-up for each of the expert's organizations, in the answer's transaction; how many were raised.
    Recorded as the system's, on streams of their own and sealed with keys of their own, so nothing in clear on
    the bus names the expert."""
    organizations = await deps.views.organizations_of(expert_id, ctx.session.connection)
    if not organizations:
        log.warning("a low wellbeing answer on engagement %s, but its expert belongs to no known organization",
                    engagement_id)
    for organization_id in organizations:
        raised = follow_up_id(engagement_id, organization_id)
        task = await ctx.session.load(WellbeingFollowUp, str(raised), must_exist=False)
        task.raise_for(organization_id, expert_id, engagement_id, deps.clock.now())
        await ctx.session.save(task, Metadata(actor=SYSTEM, command_id=ctx.command_id,
                                              subject_id=sealing_subject(raised)))
    return len(organizations)


async def handle_wellbeing_follow_up(cmd: m.HandleWellbeingFollowUp, ctx: CommandContext, deps: Deps
                                     ) -> dict[str, Any]:
    """The organization's contact person marks a follow-up handled; it leaves their list."""
    ctx.require_role(Role.organization_contact)
    task = await ctx.session.load(WellbeingFollowUp, str(cmd.follow_up_id), what="wellbeing follow-up")
    task.handle(ctx.actor.organization_id, deps.clock.now())
    await ctx.session.save(task, Metadata(actor=ctx.actor, command_id=ctx.command_id))
    return {"follow_up_id": str(cmd.follow_up_id), "handled": True}


async def wellbeing_follow_ups(query: m.WellbeingFollowUps, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The follow-ups of the contact person's own organization, the newest first."""
    ctx.require_role(Role.organization_contact)
    organization_id = ctx.actor.organization_id
    if organization_id is None:
        raise Forbidden("a contact person acts for an organization: sign in as its contact person")
    rows = await deps.views.follow_ups(organization_id)
    return {"organization_id": organization_id, "follow_ups": [
        {"follow_up_id": str(row.follow_up_id), "expert_id": row.expert_id,
         "engagement_id": str(row.engagement_id), "raised_at": row.raised_at.isoformat()} for row in rows]}


async def forget_follow_ups(ctx: EventContext, deps: Deps, expert_id: str) -> None:
    """The expert is erased: their follow-ups leave the list, and their keys are shredded."""
    for forgotten in await deps.views.forget_follow_ups(expert_id, ctx.session.connection):
        await ctx.session.shred(sealing_subject(forgotten))


async def on_expert_registered(event: Envelope[registry.ExpertRegistered], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_membership(e.expert_id, e.organization_id, ctx.session.connection)


async def on_expert_joined(event: Envelope[registry.ExpertJoinedOrganization], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_membership(e.expert_id, e.organization_id, ctx.session.connection)


async def on_expert_left(event: Envelope[registry.ExpertLeftOrganization], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.forget_membership(e.expert_id, e.organization_id, ctx.session.connection)

"""Who may do what to whom, and the record of who looked at whom."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from services.registry.domain import AccessRecord, Expert
from services.registry.events import AccessPurpose
from shared.aggregate import Metadata
from shared.errors import Forbidden
from shared.events import Actor, Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.registry.service import Deps


DEFAULT_PURPOSE = {Role.orderer: AccessPurpose.finding_an_expert,
                   Role.organization_contact: AccessPurpose.organization_register,
                   Role.coordinator: AccessPurpose.coordination}


def speaks_for(actor: Actor, organization_ids: list[str] | str) -> bool:
    """A coordinator speaks for every organization; a contact person for their own."""
    if actor.role is Role.coordinator:
        return True
    ids = [organization_ids] if isinstance(organization_ids, str) else organization_ids
    return actor.role is Role.organization_contact and actor.organization_id in ids


def require_speaks_for(actor: Actor, organization_ids: list[str] | str) -> None:
    if not speaks_for(actor, organization_ids):
        raise Forbidden("only a coordinator or the contact person of the expert's organization may do this")


def is_self(actor: Actor, expert: Expert) -> bool:
    return actor.role is Role.expert and actor.id == expert.id


def is_reviewer(actor: Actor, expert: Expert) -> bool:
    """A contact person of one of the expert's organizations, or a coordinator."""
    return speaks_for(actor, expert.organization_ids)


async def record_access(deps: Deps, actor: Actor, purpose: AccessPurpose | None, *, search: list[str] | None = None,
                         view: str | None = None) -> None:
    """Who looked at whom: recorded in a transaction of its own, before the answer leaves."""
    record = AccessRecord(str(uuid.uuid4()))
    chosen = purpose or DEFAULT_PURPOSE.get(actor.role, AccessPurpose.coordination)
    if search is not None:
        record.searched(actor, chosen, search)
    if view is not None:
        record.viewed(actor, chosen, view)
    async with deps.uow.begin() as session:
        await session.save(record, Metadata(actor=actor))


async def require_may_search(ctx: QueryContext, deps: Deps) -> None:
    """Coordinators, contact persons, and orderers whose credentials hold today."""
    ctx.require_role(Role.orderer, Role.coordinator, Role.organization_contact)
    if ctx.actor.role is Role.orderer:
        await require_credentials(ctx, deps)


async def require_credentials(ctx: QueryContext, deps: Deps) -> None:
    """The orderer's credentials hold today, for the organization the orderer acts for."""
    if not await deps.views.credentials_valid(ctx.actor.id, deps.clock.today(), ctx.actor.organization_id):
        acting = f" for {ctx.actor.organization_id}" if ctx.actor.organization_id else ""
        raise Forbidden(f"orderer {ctx.actor.id} has no valid credentials for the experience bank{acting}")


def own_or_chosen(ctx: QueryContext, organization_id: str | None) -> str | None:
    """A contact person's own organization; a coordinator's choice (None: every organization)."""
    if ctx.actor.role is Role.organization_contact:
        if organization_id not in (None, ctx.actor.organization_id):
            raise Forbidden("a contact person sees only their own organization's")
        return ctx.actor.organization_id
    ctx.require_role(Role.coordinator)
    return organization_id

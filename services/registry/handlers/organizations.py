"""Organizations and their contact persons (their agreements: :mod:`.agreements`); orderers' credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import ContactPersonRecord, OrdererCredentials, Organization
from services.registry.handlers.access import require_speaks_for
from shared.errors import Forbidden
from shared.events import Role
from shared.handling import CommandContext

if TYPE_CHECKING:
    from services.registry.service import Deps


async def register_organization(cmd: m.RegisterOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register the county or an NGO (coordinator)."""
    ctx.require_role(Role.coordinator)
    existing = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    organization = Organization.register(cmd.organization_id, cmd.name, cmd.kind, cmd.contact_person_id, existing)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id}


async def appoint_contact_person(cmd: m.AppointContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Make a person a contact person of the organization (a coordinator, or one of its contact persons)."""
    require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.appoint_contact(cmd.person_id, cmd.name, str(cmd.email))
    await ctx.session.save(organization, ctx.meta(subject_id=cmd.person_id))
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id}


async def remove_contact_person(cmd: m.RemoveContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take the contact person's role away (a coordinator, or one of the organization's contact persons)."""
    require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.remove_contact(cmd.person_id, cmd.reason)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id, "removed": True}


async def erase_contact_person(cmd: m.EraseContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase a contact person's personal data (a coordinator, or the person themself), recording on what ground:
    they stop being a contact person of every organization, and their key is shredded, so their name, address and
    the reasons given about them read as erased everywhere."""
    themself = ctx.actor.role is Role.organization_contact and ctx.actor.id == cmd.person_id
    if not (ctx.actor.role is Role.coordinator or themself):
        raise Forbidden("only the contact person themself or a coordinator may erase a contact person's data")
    record = await ctx.session.load(ContactPersonRecord, cmd.person_id, must_exist=False)
    served = []
    for row in await deps.views.organizations():
        organization = await ctx.session.load(Organization, row.organization_id, what="organization")
        if cmd.person_id in organization.contacts:
            organization.remove_contact(cmd.person_id, None)
            await ctx.session.save(organization, ctx.meta())
            served.append(row.organization_id)
    record.erase(cmd.ground)
    await ctx.session.save(record, ctx.meta())
    await ctx.session.shred(cmd.person_id)
    return {"person_id": cmd.person_id, "erased": True, "removed_from": served}


async def grant_credentials(cmd: m.GrantCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Give an orderer credentials to search the bank and place orders (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, must_exist=False)
    credentials.grant(cmd.orderer_name, cmd.organization_id, cmd.valid_until, deps.clock.today(),
                      str(cmd.email) if cmd.email else None)
    await ctx.session.save(credentials, ctx.meta(subject_id=cmd.orderer_id))
    return {"orderer_id": cmd.orderer_id, "valid_until": cmd.valid_until}


async def erase_orderer(cmd: m.EraseOrderer, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase the orderer's personal data (a coordinator, or the orderer themself), recording on what ground: their
    credentials end and their key is shredded, so their name, address and reasons read as erased everywhere."""
    themself = ctx.actor.role is Role.orderer and ctx.actor.id == cmd.orderer_id
    if not (ctx.actor.role is Role.coordinator or themself):
        raise Forbidden("only the orderer themself or a coordinator may erase an orderer's personal data")
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, what="orderer")
    credentials.erase(cmd.ground)
    await ctx.session.save(credentials, ctx.meta())
    await ctx.session.shred(cmd.orderer_id)
    return {"orderer_id": cmd.orderer_id, "erased": True}


async def revoke_credentials(cmd: m.RevokeCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an orderer's credentials away (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, what="orderer")
    credentials.revoke(cmd.reason)
    await ctx.session.save(credentials, ctx.meta())
    return {"orderer_id": cmd.orderer_id, "revoked": True}

"""The registry's command and query handlers: check the actor's role, load, decide, save.

Each handler takes its message, its context (who asks; a command's transaction) and the service's
:class:`~services.registry.service.Deps`; the tables at the end of the module map names on the bus to handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import Expert, OrdererCredentials, Organization
from shared.errors import Forbidden
from shared.events import Actor, Role
from shared.handling import CommandContext, Commands, Queries, QueryContext

if TYPE_CHECKING:
    from services.registry.service import Deps


def _speaks_for(actor: Actor, organization_ids: list[str] | str) -> bool:
    """A coordinator speaks for every organization; a contact person for their own."""
    if actor.role is Role.coordinator:
        return True
    ids = [organization_ids] if isinstance(organization_ids, str) else organization_ids
    return actor.role is Role.organization_contact and actor.organization_id in ids


def _require_speaks_for(actor: Actor, organization_ids: list[str] | str) -> None:
    if not _speaks_for(actor, organization_ids):
        raise Forbidden("only a coordinator or the contact person of the expert's organization may do this")


# -- organizations ---------------------------------------------------------------------------------------

async def register_organization(cmd: m.RegisterOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register the county or an NGO (coordinator)."""
    ctx.require_role(Role.coordinator)
    existing = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    organization = Organization.register(cmd.organization_id, cmd.name, cmd.kind, cmd.contact_person_id, existing)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id}


async def sign_organization_agreement(
    cmd: m.SignOrganizationAgreement, ctx: CommandContext, deps: Deps
) -> dict[str, Any]:
    """Record the county's agreement with an NGO and the dates it is valid (coordinator)."""
    ctx.require_role(Role.coordinator)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.sign_agreement(cmd.agreement_id, cmd.valid_from, cmd.valid_until)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


async def end_organization_agreement(
    cmd: m.EndOrganizationAgreement, ctx: CommandContext, deps: Deps
) -> dict[str, Any]:
    """End an organization agreement early (coordinator)."""
    ctx.require_role(Role.coordinator)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.end_agreement(cmd.agreement_id, cmd.ended_on)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


async def appoint_contact_person(cmd: m.AppointContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Make a person a contact person of the organization (a coordinator, or one of its contact persons)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.appoint_contact(cmd.person_id, cmd.name, str(cmd.email))
    await ctx.session.save(organization, ctx.meta(subject_id=cmd.person_id))
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id}


async def remove_contact_person(cmd: m.RemoveContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take the contact person's role away (a coordinator, or one of the organization's contact persons)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.remove_contact(cmd.person_id, cmd.reason)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id, "removed": True}


# -- experts ---------------------------------------------------------------------------------------------

async def register_expert(cmd: m.RegisterExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register an expert as a member of an organization (its contact person, or a coordinator)."""
    ctx.require_role(Role.coordinator, Role.organization_contact)
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    existing = await ctx.session.load(Expert, cmd.expert_id, must_exist=False)
    expert = Expert.register(cmd.expert_id, organization, cmd.name, str(cmd.email), cmd.phone, cmd.experience, existing)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id}


async def join_organization(cmd: m.JoinOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Add an expert to another organization (that organization's contact person, or a coordinator)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    expert.join(organization)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_id": cmd.organization_id}


async def record_training(cmd: m.RecordTraining, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record a completed basic training (the training organization's contact person, or a coordinator)."""
    _require_speaks_for(ctx.actor, cmd.trained_by)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    trainer = await ctx.session.load(Organization, cmd.trained_by, must_exist=False)
    expert.complete_training(cmd.training, cmd.completed_on, trainer, deps.clock.today())
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_ids": expert.organization_ids}


async def _change_expert(cmd: m.ExpertCommand, ctx: CommandContext, allowed: Callable[[Expert], bool],
                         change: Callable[[Expert], None]) -> dict[str, Any]:
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    if not allowed(expert):
        raise Forbidden(f"the {ctx.actor.role.value} {ctx.actor.id} may not change expert {cmd.expert_id} this way")
    change(expert)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "listed": expert.listed, "consented": expert.consented, "active": expert.active}


def _is_self(actor: Actor, expert: Expert) -> bool:
    return actor.role is Role.expert and actor.id == expert.id


async def give_consent(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert consents to being listed in the experience bank (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e), Expert.give_consent)


async def withdraw_consent(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert withdraws consent; a listed expert leaves the bank (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e), Expert.withdraw_consent)


async def list_expert(cmd: m.ListExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Add a trained, active, consenting expert to the bank (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: _speaks_for(ctx.actor, e.organization_ids),
        lambda e: e.list_in_bank(cmd.topics, cmd.languages, cmd.regions),
    )


async def unlist_expert(cmd: m.UnlistExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an expert off the bank (the expert, their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: _is_self(ctx.actor, e) or _speaks_for(ctx.actor, e.organization_ids),
        lambda e: e.unlist(cmd.reason),
    )


async def deactivate_expert(cmd: m.DeactivateExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Mark an expert inactive (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: _speaks_for(ctx.actor, e.organization_ids), lambda e: e.deactivate(cmd.reason)
    )


async def erase_expert(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase the expert's personal data (the expert, or a coordinator): their key is shredded, so their
    name, contact details and experience read as erased everywhere, also in copies on the bus."""
    if not (_is_self(ctx.actor, Expert(cmd.expert_id)) or ctx.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may erase an expert's personal data")
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    expert.erase()
    await ctx.session.save(expert, ctx.meta())
    await ctx.session.shred(cmd.expert_id)
    return {"expert_id": cmd.expert_id, "erased": True}


# -- orderers --------------------------------------------------------------------------------------------

async def grant_credentials(cmd: m.GrantCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Give an orderer credentials to search the bank and place orders (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, must_exist=False)
    credentials.grant(cmd.orderer_name, cmd.organization_id, cmd.valid_until, deps.clock.today(),
                      str(cmd.email) if cmd.email else None)
    await ctx.session.save(credentials, ctx.meta(subject_id=cmd.orderer_id))
    return {"orderer_id": cmd.orderer_id, "valid_until": cmd.valid_until}


async def revoke_credentials(cmd: m.RevokeCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an orderer's credentials away (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, what="orderer")
    credentials.revoke(cmd.reason)
    await ctx.session.save(credentials, ctx.meta())
    return {"orderer_id": cmd.orderer_id, "revoked": True}


# -- queries ---------------------------------------------------------------------------------------------

async def search_bank(query: m.SearchBank, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Search the experience bank (an orderer with valid credentials, or a coordinator)."""
    ctx.require_role(Role.orderer, Role.coordinator)
    if ctx.actor.role is Role.orderer and not await deps.views.credentials_valid(ctx.actor.id, deps.clock.today()):
        raise Forbidden(f"orderer {ctx.actor.id} has no valid credentials for the experience bank")
    results = []
    for entry in await deps.views.search_bank(topic=query.topic, language=query.language, region=query.region):
        expert = await deps.uow.load(Expert, entry.expert_id, what="expert")
        results.append({**entry.as_dict(), "name": expert.name})
    return results


async def get_expert(query: m.GetExpert, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An expert's profile: in full for the expert, their organization's contact and coordinators; name and
    topics only for an orderer, and only while the expert is listed."""
    expert = await deps.uow.load(Expert, query.expert_id, what="expert")
    profile = {"expert_id": expert.id, "name": expert.name, "listed": expert.listed, "erased": expert.erased}
    if _is_self(ctx.actor, expert) or _speaks_for(ctx.actor, expert.organization_ids):
        return {**profile, "organization_ids": expert.organization_ids, "email": expert.email, "phone": expert.phone,
                "experience": expert.experience, "trainings": expert.trainings, "consented": expert.consented,
                "active": expert.active, "county_trained": expert.county_trained}
    if ctx.actor.role is Role.orderer and expert.listed:
        return profile
    raise Forbidden("only the expert, their organization's contact person, a coordinator, or an orderer (for a "
                    "listed expert) may see this")


async def get_organization(query: m.GetOrganization, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An organization and its agreements (any authenticated actor but an auditor gets the same view)."""
    organization = await deps.uow.load(Organization, query.organization_id, what="organization")
    return {
        "organization_id": organization.id, "name": organization.name,
        "kind": organization.kind.value if organization.kind else None,
        "agreements": {aid: {"valid_from": str(f), "valid_until": str(u) if u else None}
                       for aid, (f, u) in organization.agreements.items()},
    }


async def list_organizations(query: m.ListOrganizations, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every registered organization, by id: its name and kind (anyone signed in, as get_organization)."""
    return [row.__dict__ for row in await deps.views.organizations()]


async def list_orderers(query: m.ListOrderers, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every orderer ever granted credentials, with the address they sign in with and whether the credentials
    hold today (coordinator)."""
    ctx.require_role(Role.coordinator)
    today = deps.clock.today()
    listed = []
    for row in await deps.views.orderers():
        credentials = await deps.uow.load(OrdererCredentials, row.orderer_id, what="orderer")
        listed.append({**row.__dict__, "valid_until": str(row.valid_until) if row.valid_until else None,
                       "email": credentials.email,
                       "valid": await deps.views.credentials_valid(row.orderer_id, today)})
    return listed


async def list_experts(query: m.ListExperts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The organization's register: each member expert's contact details, trainings, consent, listing and
    whether active (a coordinator, or the organization's contact person)."""
    _require_speaks_for(ctx.actor, query.organization_id)
    register = []
    for expert_id in await deps.views.members(query.organization_id):
        expert = await deps.uow.load(Expert, expert_id, what="expert")
        register.append({"expert_id": expert.id, "name": expert.name, "email": expert.email, "phone": expert.phone,
                         "organization_ids": expert.organization_ids, "trainings": expert.trainings,
                         "county_trained": expert.county_trained, "consented": expert.consented,
                         "listed": expert.listed, "active": expert.active, "erased": expert.erased})
    return register


async def whois(query: m.Whois, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The roles the records give whoever signs in with this e-mail address: expert, contact person of an
    organization, orderer with valid credentials (the identity service only)."""
    ctx.require_role(Role.system)
    found = await deps.views.capacities(str(query.email), deps.clock.today())
    return [capacity.model_dump(mode="json") for capacity in found]


COMMANDS: Commands = {
    "register_organization": (m.RegisterOrganization, register_organization),
    "appoint_contact_person": (m.AppointContactPerson, appoint_contact_person),
    "remove_contact_person": (m.RemoveContactPerson, remove_contact_person),
    "sign_organization_agreement": (m.SignOrganizationAgreement, sign_organization_agreement),
    "end_organization_agreement": (m.EndOrganizationAgreement, end_organization_agreement),
    "register_expert": (m.RegisterExpert, register_expert),
    "join_organization": (m.JoinOrganization, join_organization),
    "record_training": (m.RecordTraining, record_training),
    "give_consent": (m.ExpertCommand, give_consent),
    "withdraw_consent": (m.ExpertCommand, withdraw_consent),
    "list_expert": (m.ListExpert, list_expert),
    "unlist_expert": (m.UnlistExpert, unlist_expert),
    "deactivate_expert": (m.DeactivateExpert, deactivate_expert),
    "erase_expert": (m.ExpertCommand, erase_expert),
    "grant_credentials": (m.GrantCredentials, grant_credentials),
    "revoke_credentials": (m.RevokeCredentials, revoke_credentials),
}

QUERIES: Queries = {
    "search_bank": (m.SearchBank, search_bank),
    "get_expert": (m.GetExpert, get_expert),
    "get_organization": (m.GetOrganization, get_organization),
    "list_organizations": (m.ListOrganizations, list_organizations),
    "list_orderers": (m.ListOrderers, list_orderers),
    "list_experts": (m.ListExperts, list_experts),
    "whois": (m.Whois, whois),
}

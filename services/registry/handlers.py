"""The registry's command and query handlers: check the actor's role, load, decide, save.

Each handler takes its message first and its dependencies as one :class:`Deps`; the tables at the end of
the module map names on the bus to handlers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.aggregate import Metadata
from shared.commands import require_role
from shared.errors import Forbidden, NotFound
from shared.events import Actor, Role
from shared.eventstore.port import EventStore
from services.registry import messages as m
from services.registry.domain import Expert, Organization, OrdererCredentials


@dataclass
class Deps:
    uow: Any  # UnitOfWork or InMemoryUnitOfWork
    store: EventStore
    schema: str = "registry"
    today: Callable[[], dt.date] = field(default=dt.date.today)


def _meta(cmd: m.Command, subject_id: str | None = None) -> Metadata:
    return Metadata(actor=cmd.actor, command_id=cmd.command_id, subject_id=subject_id)


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

async def register_organization(cmd: m.RegisterOrganization, deps: Deps) -> dict[str, Any]:
    """Register the county or an NGO (coordinator)."""
    require_role(cmd.actor, Role.coordinator)
    async with deps.uow.begin() as session:
        existing = await session.load(Organization, cmd.organization_id, must_exist=False)
        organization = Organization.register(cmd.organization_id, cmd.name, cmd.kind, cmd.contact_person_id, existing)
        await session.save(organization, _meta(cmd))
    return {"organization_id": cmd.organization_id}


async def sign_organization_agreement(cmd: m.SignOrganizationAgreement, deps: Deps) -> dict[str, Any]:
    """Record the county's agreement with an NGO and the dates it is valid (coordinator)."""
    require_role(cmd.actor, Role.coordinator)
    async with deps.uow.begin() as session:
        organization = await session.load(Organization, cmd.organization_id, what="organization")
        organization.sign_agreement(cmd.agreement_id, cmd.valid_from, cmd.valid_until)
        await session.save(organization, _meta(cmd))
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


async def end_organization_agreement(cmd: m.EndOrganizationAgreement, deps: Deps) -> dict[str, Any]:
    """End an organization agreement early (coordinator)."""
    require_role(cmd.actor, Role.coordinator)
    async with deps.uow.begin() as session:
        organization = await session.load(Organization, cmd.organization_id, what="organization")
        organization.end_agreement(cmd.agreement_id, cmd.ended_on)
        await session.save(organization, _meta(cmd))
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


# -- experts ---------------------------------------------------------------------------------------------

async def register_expert(cmd: m.RegisterExpert, deps: Deps) -> dict[str, Any]:
    """Register an expert as a member of an organization (its contact person, or a coordinator)."""
    require_role(cmd.actor, Role.coordinator, Role.organization_contact)
    _require_speaks_for(cmd.actor, cmd.organization_id)
    async with deps.uow.begin() as session:
        organization = await session.load(Organization, cmd.organization_id, must_exist=False)
        existing = await session.load(Expert, cmd.expert_id, must_exist=False)
        expert = Expert.register(cmd.expert_id, organization, cmd.name, str(cmd.email), cmd.phone, cmd.experience, existing)
        await session.save(expert, _meta(cmd, subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id}


async def join_organization(cmd: m.JoinOrganization, deps: Deps) -> dict[str, Any]:
    """Add an expert to another organization (that organization's contact person, or a coordinator)."""
    _require_speaks_for(cmd.actor, cmd.organization_id)
    async with deps.uow.begin() as session:
        expert = await session.load(Expert, cmd.expert_id, what="expert")
        organization = await session.load(Organization, cmd.organization_id, what="organization")
        expert.join(organization)
        await session.save(expert, _meta(cmd, subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_id": cmd.organization_id}


async def record_training(cmd: m.RecordTraining, deps: Deps) -> dict[str, Any]:
    """Record a completed basic training (the training organization's contact person, or a coordinator)."""
    _require_speaks_for(cmd.actor, cmd.trained_by)
    async with deps.uow.begin() as session:
        expert = await session.load(Expert, cmd.expert_id, what="expert")
        trainer = await session.load(Organization, cmd.trained_by, must_exist=False)
        expert.complete_training(cmd.training, cmd.completed_on, trainer, deps.today())
        await session.save(expert, _meta(cmd, subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_ids": expert.organization_ids}


async def _change_expert(cmd: m.ExpertCommand, deps: Deps, allowed: Callable[[Expert], bool],
                         change: Callable[[Expert], None]) -> dict[str, Any]:
    async with deps.uow.begin() as session:
        expert = await session.load(Expert, cmd.expert_id, what="expert")
        if not allowed(expert):
            raise Forbidden(f"the {cmd.actor.role.value} {cmd.actor.id} may not change expert {cmd.expert_id} this way")
        change(expert)
        await session.save(expert, _meta(cmd, subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "listed": expert.listed, "consented": expert.consented, "active": expert.active}


def _is_self(actor: Actor, expert: Expert) -> bool:
    return actor.role is Role.expert and actor.id == expert.id


async def give_consent(cmd: m.ExpertCommand, deps: Deps) -> dict[str, Any]:
    """The expert consents to being listed in the experience bank (the expert themself)."""
    return await _change_expert(cmd, deps, lambda e: _is_self(cmd.actor, e), Expert.give_consent)


async def withdraw_consent(cmd: m.ExpertCommand, deps: Deps) -> dict[str, Any]:
    """The expert withdraws consent; a listed expert leaves the bank (the expert themself)."""
    return await _change_expert(cmd, deps, lambda e: _is_self(cmd.actor, e), Expert.withdraw_consent)


async def list_expert(cmd: m.ListExpert, deps: Deps) -> dict[str, Any]:
    """Add a trained, active, consenting expert to the bank (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, deps, lambda e: _speaks_for(cmd.actor, e.organization_ids),
        lambda e: e.list_in_bank(cmd.topics, cmd.languages, cmd.regions),
    )


async def unlist_expert(cmd: m.UnlistExpert, deps: Deps) -> dict[str, Any]:
    """Take an expert off the bank (the expert, their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, deps, lambda e: _is_self(cmd.actor, e) or _speaks_for(cmd.actor, e.organization_ids),
        lambda e: e.unlist(cmd.reason),
    )


async def deactivate_expert(cmd: m.DeactivateExpert, deps: Deps) -> dict[str, Any]:
    """Mark an expert inactive (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, deps, lambda e: _speaks_for(cmd.actor, e.organization_ids), lambda e: e.deactivate(cmd.reason)
    )


async def erase_expert(cmd: m.ExpertCommand, deps: Deps) -> dict[str, Any]:
    """Erase the expert's personal data (the expert, or a coordinator): their key is shredded, so their
    name, contact details and experience read as erased everywhere, also in copies on the bus."""
    if not (_is_self(cmd.actor, Expert(cmd.expert_id)) or cmd.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may erase an expert's personal data")
    async with deps.uow.begin() as session:
        expert = await session.load(Expert, cmd.expert_id, what="expert")
        expert.erase()
        await session.save(expert, _meta(cmd))
        await deps.store.shred(cmd.expert_id, connection=session.connection)
    return {"expert_id": cmd.expert_id, "erased": True}


# -- orderers --------------------------------------------------------------------------------------------

async def grant_credentials(cmd: m.GrantCredentials, deps: Deps) -> dict[str, Any]:
    """Give an orderer credentials to search the bank and place orders (coordinator)."""
    require_role(cmd.actor, Role.coordinator)
    async with deps.uow.begin() as session:
        credentials = await session.load(OrdererCredentials, cmd.orderer_id, must_exist=False)
        credentials.grant(cmd.orderer_name, cmd.organization_id, cmd.valid_until, deps.today())
        await session.save(credentials, _meta(cmd))
    return {"orderer_id": cmd.orderer_id, "valid_until": cmd.valid_until}


async def revoke_credentials(cmd: m.RevokeCredentials, deps: Deps) -> dict[str, Any]:
    """Take an orderer's credentials away (coordinator)."""
    require_role(cmd.actor, Role.coordinator)
    async with deps.uow.begin() as session:
        credentials = await session.load(OrdererCredentials, cmd.orderer_id, what="orderer")
        credentials.revoke(cmd.reason)
        await session.save(credentials, _meta(cmd))
    return {"orderer_id": cmd.orderer_id, "revoked": True}


# -- queries ---------------------------------------------------------------------------------------------

async def _has_valid_credentials(deps: Deps, orderer_id: str) -> bool:
    return bool(await deps.uow.pool.fetchval(
        f"""SELECT true FROM {deps.schema}.orderers
            WHERE orderer_id = $1 AND NOT revoked AND (valid_until IS NULL OR valid_until >= $2)""",
        orderer_id, deps.today(),
    ))


async def search_bank(query: m.SearchBank, deps: Deps) -> list[dict[str, Any]]:
    """Search the experience bank (an orderer with valid credentials, or a coordinator)."""
    require_role(query.actor, Role.orderer, Role.coordinator)
    if query.actor.role is Role.orderer and not await _has_valid_credentials(deps, query.actor.id):
        raise Forbidden(f"orderer {query.actor.id} has no valid credentials for the experience bank")
    rows = await deps.uow.pool.fetch(
        f"""SELECT expert_id, organization_ids, county_trained, topics, languages, regions FROM {deps.schema}.bank
            WHERE ($1::text IS NULL OR $1 = ANY(topics)) AND ($2::text IS NULL OR $2 = ANY(languages))
              AND ($3::text IS NULL OR $3 = ANY(regions) OR cardinality(regions) = 0)
            ORDER BY listed_at, expert_id""",
        query.topic, query.language, query.region,
    )
    results = []
    for row in rows:
        expert = await _load_expert(deps, row["expert_id"])
        results.append({**dict(row), "name": expert.name})
    return results


async def _load_expert(deps: Deps, expert_id: str) -> Expert:
    async with deps.uow.begin() as session:
        return await session.load(Expert, expert_id, what="expert")


async def get_expert(query: m.GetExpert, deps: Deps) -> dict[str, Any]:
    """An expert's profile: in full for the expert, their organization's contact and coordinators; name and
    topics only for an orderer, and only while the expert is listed."""
    expert = await _load_expert(deps, query.expert_id)
    profile = {"expert_id": expert.id, "name": expert.name, "listed": expert.listed, "erased": expert.erased}
    if _is_self(query.actor, expert) or _speaks_for(query.actor, expert.organization_ids):
        return {**profile, "organization_ids": expert.organization_ids, "email": expert.email, "phone": expert.phone,
                "experience": expert.experience, "trainings": expert.trainings, "consented": expert.consented,
                "active": expert.active, "county_trained": expert.county_trained}
    if query.actor.role is Role.orderer and expert.listed:
        return profile
    raise Forbidden("only the expert, their organization's contact person, a coordinator, or an orderer (for a listed expert) may see this")


async def get_organization(query: m.GetOrganization, deps: Deps) -> dict[str, Any]:
    """An organization and its agreements (any authenticated actor but an auditor gets the same view)."""
    async with deps.uow.begin() as session:
        organization = await session.load(Organization, query.organization_id, what="organization")
    return {
        "organization_id": organization.id, "name": organization.name,
        "kind": organization.kind.value if organization.kind else None,
        "agreements": {aid: {"valid_from": str(f), "valid_until": str(u) if u else None}
                       for aid, (f, u) in organization.agreements.items()},
    }


COMMANDS = {
    "register_organization": (m.RegisterOrganization, register_organization),
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

QUERIES = {
    "search_bank": (m.SearchBank, search_bank),
    "get_expert": (m.GetExpert, get_expert),
    "get_organization": (m.GetOrganization, get_organization),
}

__all__ = ["COMMANDS", "QUERIES", "Deps", "NotFound"]

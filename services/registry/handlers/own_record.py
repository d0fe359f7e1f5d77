"""An orderer's or a contact person's own record, for their right of access: what the registry holds about them
(their name and the address they sign in with, their credentials or the organizations they speak for) and the log
of what they looked at in the bank. Nothing in the registry logs anyone looking at an orderer or a contact person:
their data is shown only to coordinators and to the organization's contact persons, in the course of their work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import OrdererCredentials, Organization
from services.registry.handlers.queries import access_rows
from shared.events import Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.registry.service import Deps


async def my_record(query: m.MyRecord, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The signed-in orderer's or contact person's own record, and the bank searches and profiles they looked at."""
    ctx.require_role(Role.orderer, Role.organization_contact)
    names = {row.orderer_id: row.orderer_name for row in await deps.views.orderers()}
    looked_at = access_rows(await deps.views.access_log(viewer_id=ctx.actor.id), names)
    if ctx.actor.role is Role.orderer:
        return {**await _orderer(ctx.actor.id, deps, names), "looked_at": looked_at}
    return {**await _contact_person(ctx.actor.id, ctx.actor.organization_id, deps), "looked_at": looked_at}


async def _orderer(orderer_id: str, deps: Deps, names: dict[str, str]) -> dict[str, Any]:
    credentials = await deps.uow.load(OrdererCredentials, orderer_id, what="orderer")
    row = next((row for row in await deps.views.orderers() if row.orderer_id == orderer_id), None)
    return {"orderer_id": orderer_id, "orderer_name": names.get(orderer_id), "email": credentials.email,
            "organization_id": row.organization_id if row else None,
            "valid_until": str(credentials.valid_until) if credentials.valid_until else None,
            "credentials_valid": credentials.valid}


async def _contact_person(person_id: str, organization_id: str | None, deps: Deps) -> dict[str, Any]:
    found: dict[str, Any] = {"person_id": person_id, "organization_id": organization_id}
    if organization_id:
        organization = await deps.uow.load(Organization, organization_id, what="organization")
        found.update(organization_name=organization.name, name=organization.contacts.get(person_id),
                     email=organization.contact_emails.get(person_id))
    return found

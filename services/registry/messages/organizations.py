"""The registry's commands about organizations and their contact persons, and orderers' credentials (agreements:
:mod:`.agreements`)."""

from __future__ import annotations

from pydantic import EmailStr

from services.registry.events import ErasureGround, OrganizationKind
from shared.commands import Command
from shared.fields import Day, Identifier, Name, Reason


class RegisterOrganization(Command):
    organization_id: Identifier
    name: Name
    kind: OrganizationKind
    contact_person_id: Identifier | None = None


class AppointContactPerson(Command):
    organization_id: Identifier
    person_id: Identifier
    name: Name
    email: EmailStr


class EraseContactPerson(Command):
    person_id: Identifier
    ground: ErasureGround


class RemoveContactPerson(Command):
    organization_id: Identifier
    person_id: Identifier
    reason: Reason


class GrantCredentials(Command):
    orderer_id: Identifier
    orderer_name: Name
    organization_id: Identifier | None = None
    valid_until: Day | None = None
    email: EmailStr | None = None  # the orderer signs in with it


class EraseOrderer(Command):
    orderer_id: Identifier
    ground: ErasureGround


class RevokeCredentials(Command):
    orderer_id: Identifier
    reason: Reason

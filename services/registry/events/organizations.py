"""The registry's events about organizations, their contact persons and memberships (their agreements:
:mod:`services.registry.events.agreements`)."""

from __future__ import annotations

import enum
from typing import ClassVar

from services.registry.events.experts import ErasureGround
from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


class OrganizationKind(enum.StrEnum):
    county = "county"
    ngo = "ngo"


class OrganizationRegistered(DomainEvent):
    organization_id: str
    name: str
    kind: OrganizationKind
    contact_person_id: str | None = None


class ContactPersonAppointed(DomainEvent):
    """A person became a contact person of the organization: they register its experts, record their training
    and list them. They sign in with this e-mail address."""

    organization_id: str
    person_id: str
    name: Personal = None
    email: Personal = None


class ContactPersonErased(DomainEvent):
    """The contact person's personal data was erased (their key shredded: their name, address and the reasons given
    about them read as erased everywhere); they were removed from every organization first. Who asked and when
    is the envelope."""

    person_id: str
    ground: ErasureGround


class ContactPersonRemoved(DomainEvent):
    """The person is no longer a contact person of the organization; their sign-in loses that role. Version 2
    seals the reason with the person's key (it is about them)."""

    schema_version: ClassVar[int] = 2

    organization_id: str
    person_id: str
    reason: Personal = None


sealed_since(ContactPersonRemoved, from_version=1)


# -- memberships -----------------------------------------------------------------------------------------

class MembershipOffered(DomainEvent):
    """An organization asks the expert to join it: the expert accepts or declines."""

    expert_id: str
    organization_id: str


class MembershipDeclined(DomainEvent):
    expert_id: str
    organization_id: str


class ExpertLeftOrganization(DomainEvent):
    """The expert left an organization (they keep at least one)."""

    expert_id: str
    organization_id: str

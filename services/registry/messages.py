"""Commands and queries the registry answers on ``kokemus.registry.cmd.*`` and ``kokemus.registry.query.*``."""

from __future__ import annotations

from pydantic import EmailStr, Field

from services.registry.events import OrganizationKind
from shared.commands import Command, Request
from shared.fields import Day, Identifier, Language, Name, Phone, Reason, Tag


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


class RemoveContactPerson(Command):
    organization_id: Identifier
    person_id: Identifier
    reason: Reason


class SignOrganizationAgreement(Command):
    organization_id: Identifier
    agreement_id: Identifier
    valid_from: Day
    valid_until: Day | None = None


class EndOrganizationAgreement(Command):
    organization_id: Identifier
    agreement_id: Identifier
    ended_on: Day


class RegisterExpert(Command):
    expert_id: Identifier
    organization_id: Identifier
    name: Name
    email: EmailStr
    phone: Phone | None = None
    experience: str | None = Field(None, max_length=4000)


class JoinOrganization(Command):
    expert_id: Identifier
    organization_id: Identifier


class RecordTraining(Command):
    expert_id: Identifier
    training: Name = "basic training"
    completed_on: Day
    trained_by: Identifier


class ExpertCommand(Command):
    expert_id: Identifier


class DeactivateExpert(ExpertCommand):
    reason: Reason


class ListExpert(ExpertCommand):
    topics: list[Tag] = Field(min_length=1, max_length=20)
    languages: list[Language] = Field(default=["fi"], min_length=1, max_length=10)
    regions: list[Tag] = Field(default=[], max_length=30)


class UnlistExpert(ExpertCommand):
    reason: Reason


class GrantCredentials(Command):
    orderer_id: Identifier
    orderer_name: Name
    organization_id: Identifier | None = None
    valid_until: Day | None = None
    email: EmailStr | None = None  # the orderer signs in with it


class RevokeCredentials(Command):
    orderer_id: Identifier
    reason: Reason


class SearchBank(Request):
    topic: Tag | None = None
    language: Language | None = None
    region: Tag | None = None


class GetExpert(Request):
    expert_id: Identifier


class GetOrganization(Request):
    organization_id: Identifier


class ListOrganizations(Request):
    pass


class ListOrderers(Request):
    pass


class ListExperts(Request):
    """The experts of one organization: its register."""

    organization_id: Identifier


class Whois(Request):
    """Which records name this e-mail address: asked by the identity service when a person signs in."""

    email: EmailStr

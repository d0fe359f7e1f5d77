"""Commands and queries the registry answers on ``kokemus.registry.cmd.*`` and ``kokemus.registry.query.*``."""

from __future__ import annotations

import datetime as dt

from pydantic import EmailStr, Field

from services.registry.events import OrganizationKind
from shared.commands import Command, Request

Identifier = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class RegisterOrganization(Command):
    organization_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    kind: OrganizationKind
    contact_person_id: str | None = None


class AppointContactPerson(Command):
    organization_id: str = Identifier
    person_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class RemoveContactPerson(Command):
    organization_id: str = Identifier
    person_id: str = Identifier
    reason: str = Field(min_length=1, max_length=500)


class SignOrganizationAgreement(Command):
    organization_id: str = Identifier
    agreement_id: str = Identifier
    valid_from: dt.date
    valid_until: dt.date | None = None


class EndOrganizationAgreement(Command):
    organization_id: str = Identifier
    agreement_id: str = Identifier
    ended_on: dt.date


class RegisterExpert(Command):
    expert_id: str = Identifier
    organization_id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(None, max_length=40)
    experience: str | None = Field(None, max_length=4000)


class JoinOrganization(Command):
    expert_id: str = Identifier
    organization_id: str = Identifier


class RecordTraining(Command):
    expert_id: str = Identifier
    training: str = Field("basic training", min_length=1, max_length=200)
    completed_on: dt.date
    trained_by: str = Identifier


class ExpertCommand(Command):
    expert_id: str = Identifier


class DeactivateExpert(ExpertCommand):
    reason: str = Field(min_length=1, max_length=500)


class ListExpert(ExpertCommand):
    topics: list[str] = Field(min_length=1, max_length=20)
    languages: list[str] = Field(default=["fi"])
    regions: list[str] = Field(default=[])


class UnlistExpert(ExpertCommand):
    reason: str = Field(min_length=1, max_length=500)


class GrantCredentials(Command):
    orderer_id: str = Identifier
    orderer_name: str = Field(min_length=1, max_length=200)
    organization_id: str | None = None
    valid_until: dt.date | None = None
    email: EmailStr | None = None  # the orderer signs in with it


class RevokeCredentials(Command):
    orderer_id: str = Identifier
    reason: str = Field(min_length=1, max_length=500)


class SearchBank(Request):
    topic: str | None = None
    language: str | None = None
    region: str | None = None


class GetExpert(Request):
    expert_id: str = Identifier


class GetOrganization(Request):
    organization_id: str = Identifier


class ListOrganizations(Request):
    pass


class ListOrderers(Request):
    pass


class ListExperts(Request):
    """The experts of one organization: its register."""

    organization_id: str = Identifier


class Whois(Request):
    """Which records name this e-mail address: asked by the identity service when a person signs in."""

    email: EmailStr

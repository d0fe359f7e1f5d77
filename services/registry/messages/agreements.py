"""The registry's commands and queries about organization agreements between the county and an NGO."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.registry.events import AgreementEndReason
from shared.commands import Command, Request
from shared.fields import Day, Euros, Identifier


class AgreementTerms(Command):
    organization_id: Identifier
    agreement_id: Identifier
    valid_from: Day
    valid_until: Day | None = None  # open-ended when not given
    annual_fee: Euros | None = None  # what the county pays the NGO a year; none when it pays nothing
    payment_days: int = Field(14, ge=1, le=120)
    notice_days: int = Field(90, ge=0, le=365)


class DraftOrganizationAgreement(AgreementTerms):
    """A new agreement: its first version, which both parties sign."""


class RenewOrganizationAgreement(AgreementTerms):
    """A further version of the agreement for the next period, which both parties sign again."""


class SignOrganizationAgreement(Command):
    """Sign the agreement's latest version: a coordinator for the county, a contact person for their
    organization. The SHA-256 names the document the signer read (organization_agreement); a stale one is
    refused."""

    organization_id: Identifier
    agreement_id: Identifier
    document_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class EndOrganizationAgreement(Command):
    organization_id: Identifier
    agreement_id: Identifier
    ended_on: Day  # its last day in force
    reason: AgreementEndReason | None = None


class OrganizationAgreement(Request):
    organization_id: Identifier
    agreement_id: Identifier
    language: Literal["fi", "sv"] = "fi"
    version: int | None = Field(None, ge=1, le=1000)  # the latest when not given


class OrganizationAgreementPdf(OrganizationAgreement):
    pass

"""The registry's events about organization agreements (järjestösopimus / organisationsavtal) between the county
and an NGO: each version drafted, signed by both parties against its document, in force, ended."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import ClassVar

from shared.events import DomainEvent, Payload
from shared.upcasting import upcaster


class AgreementParty(enum.StrEnum):
    county = "county"  # signed by a coordinator
    organization = "organization"  # signed by one of the NGO's contact persons


class AgreementEndReason(enum.StrEnum):
    terminated_by_county = "terminated_by_county"
    terminated_by_organization = "terminated_by_organization"
    mutual = "mutual"  # both parties agreed to end it
    breach = "breach"  # a party did not keep the agreement
    organization_ceased = "organization_ceased"  # the NGO stopped its experience-expert activity or was dissolved


class OrganizationAgreementDrafted(DomainEvent):
    """A coordinator drafted a version of an organization agreement: version 1 a new agreement, a later version
    its renewal for a further period. Both parties sign the version's document; it is in force once both have
    (OrganizationAgreementSigned)."""

    organization_id: str
    agreement_id: str
    version: int
    valid_from: dt.date
    valid_until: dt.date | None = None
    annual_fee: Decimal | None = None  # what the county pays the NGO a year for training and supporting experts
    payment_days: int  # the county pays the NGO's invoice within this many days
    notice_days: int  # either party may terminate the agreement with this much notice


class OrganizationAgreementSignedBy(DomainEvent):
    """One party signed a version of the agreement: the county by a coordinator, the NGO by one of its contact
    persons, each bound to the document they read (its version, language and SHA-256)."""

    organization_id: str
    agreement_id: str
    version: int
    party: AgreementParty
    signer_id: str
    document_language: str
    document_hash: str


class OrganizationAgreementSigned(DomainEvent):
    """The county and an NGO both signed an organization agreement (or its renewal): it is in force for these
    dates. A renewal continues its agreement without a gap, so its dates run from the agreement's first day to
    the renewal's last. Recorded before agreements had documents, it was the coordinator's record alone."""

    organization_id: str
    agreement_id: str
    valid_from: dt.date
    valid_until: dt.date | None = None


class OrganizationAgreementEnded(DomainEvent):
    """The agreement ends on this day (its last day in force), for this reason. Version 2 adds the reason (none
    for an end recorded before it)."""

    schema_version: ClassVar[int] = 2

    organization_id: str
    agreement_id: str
    ended_on: dt.date
    reason: AgreementEndReason | None = None


@upcaster(OrganizationAgreementEnded, from_version=1)
def _no_reason_given(payload: Payload) -> Payload:
    return {**payload, "reason": None}

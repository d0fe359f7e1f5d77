"""The organization's agreements with the county (järjestösopimus): each drafted by a coordinator as a version
with its dates and terms, signed by both parties against the document they read (the county by a coordinator,
the NGO by one of its own contact persons), in force once both have signed, renewed as a further version for the
next period, ended with a day and a reason. Every version stays readable. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from services.registry.domain.agreement_document import render
from services.registry.events import (
    AgreementEndReason,
    AgreementParty,
    OrganizationAgreementDrafted,
    OrganizationAgreementEnded,
    OrganizationAgreementSigned,
    OrganizationAgreementSignedBy,
    OrganizationKind,
)
from shared.aggregate import Aggregate
from shared.documents import LANGUAGES, Document
from shared.errors import Conflict, Forbidden, invalid
from shared.events import Actor, Role


@dataclass(frozen=True)
class Period:
    valid_from: dt.date
    valid_until: dt.date | None = None
    annual_fee: Decimal | None = None
    payment_days: int = 14
    notice_days: int = 90

    def check(self) -> None:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise invalid("valid_until", "ends before it starts", f"a date on or after {self.valid_from}")


@dataclass
class Version:
    terms: OrganizationAgreementDrafted
    signatures: dict[AgreementParty, OrganizationAgreementSignedBy] = field(default_factory=dict)

    @property
    def signed(self) -> bool:
        return len(self.signatures) == len(AgreementParty)


@dataclass
class Agreement:
    agreement_id: str
    versions: list[Version] = field(default_factory=list)
    # The dates it is in force for (None until both parties have signed a version); recorded before agreements
    # had documents, an agreement has these and no versions.
    in_force: tuple[dt.date, dt.date | None] | None = None
    ended: tuple[dt.date, AgreementEndReason | None] | None = None

    @property
    def status(self) -> str:
        if self.ended is not None:
            return "ended"
        if self.versions and not self.versions[-1].signed:
            return "renewal_to_sign" if self.in_force else "to_sign"
        return "in_force"


class AgreementsOf(Aggregate):
    """The agreement part of an organization (its aggregate: :class:`~services.registry.domain.Organization`)."""

    name: str
    kind: OrganizationKind | None
    contacts: dict[str, str | None]

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.agreements: dict[str, Agreement] = {}

    def agreement(self, agreement_id: str) -> Agreement:
        if agreement_id not in self.agreements:
            raise invalid("agreement_id", "no such agreement for this organization",
                          ", ".join(self.agreements) or None)
        return self.agreements[agreement_id]

    def draft_agreement(self, agreement_id: str, period: Period) -> None:
        if self.kind is not OrganizationKind.ngo:
            raise invalid("organization_id", "only an NGO makes an organization agreement with the county",
                          "the id of a registered NGO")
        period.check()
        if agreement_id in self.agreements:
            raise Conflict(f"agreement {agreement_id} is already drafted; renew it for a new period")
        self._draft(agreement_id, 1, period)

    def renew_agreement(self, agreement_id: str, period: Period) -> None:
        """A further version for the next period, which continues the agreement without a gap: it starts after
        the version before it did, and no later than the day after that one ends; and it runs past it."""
        agreement = self.agreement(agreement_id)
        period.check()
        if agreement.ended is not None:
            raise Conflict(f"agreement {agreement_id} has ended; draft a new agreement")
        if not agreement.versions:
            raise Conflict(f"agreement {agreement_id} was recorded before agreements had documents; draft a new "
                           "agreement")
        last = agreement.versions[-1]
        if not last.signed:
            raise Conflict(f"version {last.terms.version} of agreement {agreement_id} is not signed by both yet")
        before = last.terms
        latest = before.valid_until + dt.timedelta(days=1) if before.valid_until else None
        if period.valid_from <= before.valid_from or (latest is not None and period.valid_from > latest):
            raise invalid("valid_from", "a renewal continues the agreement without a gap",
                          f"after {before.valid_from}" + (f" and on or before {latest}" if latest else ""))
        if before.valid_until is not None and period.valid_until is not None \
                and period.valid_until <= before.valid_until:
            raise invalid("valid_until", "a renewal runs past the version before it",
                          f"after {before.valid_until}, or none for until further notice")
        self._draft(agreement_id, before.version + 1, period)

    def _draft(self, agreement_id: str, version: int, period: Period) -> None:
        self.record(OrganizationAgreementDrafted(
            organization_id=self.id, agreement_id=agreement_id, version=version, valid_from=period.valid_from,
            valid_until=period.valid_until, annual_fee=period.annual_fee, payment_days=period.payment_days,
            notice_days=period.notice_days))

    def documents(self, agreement_id: str, version: int | None = None) -> dict[str, Document]:
        """The document of ``version`` (the latest when not given), in each language."""
        agreement = self.agreement(agreement_id)
        if not agreement.versions:
            raise Conflict(f"agreement {agreement_id} was recorded before agreements had documents")
        count = len(agreement.versions)
        number = version or count
        if not 1 <= number <= count:
            raise invalid("version", "no such version of this agreement", f"1 to {count}")
        terms = agreement.versions[number - 1].terms
        return {language: render(self.name, terms, language) for language in LANGUAGES}

    def sign_agreement(self, agreement_id: str, actor: Actor, document_hash: str) -> None:
        """Sign the latest version for the party the actor speaks for, bound to the document they read; the
        second signature puts the version in force."""
        if actor.role is Role.coordinator:
            party = AgreementParty.county
        elif actor.role is Role.organization_contact and actor.organization_id == self.id \
                and actor.id in self.contacts:
            party = AgreementParty.organization
        else:
            raise Forbidden("only a coordinator (for the county) or a contact person of the organization may sign "
                            "its agreement")
        agreement = self.agreement(agreement_id)
        if agreement.ended is not None:
            raise Conflict(f"agreement {agreement_id} has ended; it can no longer be signed")
        documents = self.documents(agreement_id)
        latest = agreement.versions[-1]
        number = latest.terms.version
        if party in latest.signatures:
            raise Conflict(f"the {party.value} has already signed version {number} of agreement {agreement_id}")
        seen = next((d for d in documents.values() if d.sha256 == document_hash), None)
        if seen is None:
            raise Conflict(f"the document signed (sha256 {document_hash[:12]}…) is stale or altered: it is not "
                           f"version {number} of the agreement, the version to sign now; read version {number} "
                           "and sign it")
        self.record(OrganizationAgreementSignedBy(
            organization_id=self.id, agreement_id=agreement_id, version=number, party=party, signer_id=actor.id,
            document_language=seen.language, document_hash=seen.sha256))
        if latest.signed:
            first = agreement.in_force[0] if agreement.in_force else latest.terms.valid_from
            self.record(OrganizationAgreementSigned(organization_id=self.id, agreement_id=agreement_id,
                                                    valid_from=first, valid_until=latest.terms.valid_until))

    def end_agreement(self, agreement_id: str, ended_on: dt.date, reason: AgreementEndReason | None) -> None:
        agreement = self.agreement(agreement_id)
        if agreement.ended is not None:
            raise Conflict(f"agreement {agreement_id} already ended on {agreement.ended[0]}")
        start = agreement.in_force[0] if agreement.in_force else agreement.versions[0].terms.valid_from
        if ended_on < start:
            raise invalid("ended_on", "is before the agreement starts", f"a date on or after {start}")
        self.record(OrganizationAgreementEnded(organization_id=self.id, agreement_id=agreement_id,
                                               ended_on=ended_on, reason=reason))

    def when_OrganizationAgreementDrafted(self, event: OrganizationAgreementDrafted) -> None:
        self.agreements.setdefault(event.agreement_id, Agreement(event.agreement_id)).versions.append(Version(event))

    def when_OrganizationAgreementSignedBy(self, event: OrganizationAgreementSignedBy) -> None:
        version = self.agreements[event.agreement_id].versions[event.version - 1]
        version.signatures[event.party] = event

    def when_OrganizationAgreementSigned(self, event: OrganizationAgreementSigned) -> None:
        agreement = self.agreements.setdefault(event.agreement_id, Agreement(event.agreement_id))
        agreement.in_force = (event.valid_from, event.valid_until)

    def when_OrganizationAgreementEnded(self, event: OrganizationAgreementEnded) -> None:
        self.agreements[event.agreement_id].ended = (event.ended_on, event.reason)

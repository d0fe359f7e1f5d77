"""The registry's aggregates: organizations, experts and orderers' credentials. No I/O here."""

from __future__ import annotations

import datetime as dt

from services.registry.events import (
    ConsentGiven,
    ConsentWithdrawn,
    ContactPersonAppointed,
    ContactPersonRemoved,
    ExpertDeactivated,
    ExpertErased,
    ExpertJoinedOrganization,
    ExpertListed,
    ExpertRegistered,
    ExpertUnlisted,
    OrdererCredentialsGranted,
    OrdererCredentialsRevoked,
    OrganizationAgreementEnded,
    OrganizationAgreementSigned,
    OrganizationKind,
    OrganizationRegistered,
    TrainingCompleted,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, FieldProblem, Invalid, invalid


class Organization(Aggregate):
    stream_prefix = "organization"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.kind: OrganizationKind | None = None
        self.contact_person_id: str | None = None
        self.contacts: set[str] = set()
        self.agreements: dict[str, tuple[dt.date, dt.date | None]] = {}

    @classmethod
    def register(cls, organization_id: str, name: str, kind: OrganizationKind, contact_person_id: str | None,
                 existing: Organization) -> Organization:
        if existing.exists:
            raise Conflict(f"organization {organization_id} is already registered")
        organization = cls(organization_id)
        organization.record(OrganizationRegistered(
            organization_id=organization_id, name=name, kind=kind, contact_person_id=contact_person_id))
        return organization

    def appoint_contact(self, person_id: str, name: str, email: str) -> None:
        if person_id in self.contacts:
            raise Conflict(f"{person_id} is already a contact person of {self.id}")
        self.record(ContactPersonAppointed(organization_id=self.id, person_id=person_id, name=name, email=email))

    def remove_contact(self, person_id: str, reason: str) -> None:
        if person_id not in self.contacts:
            raise invalid(
                "person_id", f"is not a contact person of {self.id}", ", ".join(sorted(self.contacts)) or None
            )
        self.record(ContactPersonRemoved(organization_id=self.id, person_id=person_id, reason=reason))

    def sign_agreement(self, agreement_id: str, valid_from: dt.date, valid_until: dt.date | None) -> None:
        if self.kind is not OrganizationKind.ngo:
            raise invalid("organization_id", "only an NGO makes an organization agreement with the county",
                          "the id of a registered NGO")
        if valid_until is not None and valid_until < valid_from:
            raise invalid("valid_until", "ends before it starts", f"a date on or after {valid_from}")
        if agreement_id in self.agreements:
            raise Conflict(f"agreement {agreement_id} is already recorded")
        self.record(OrganizationAgreementSigned(
            organization_id=self.id, agreement_id=agreement_id, valid_from=valid_from, valid_until=valid_until))

    def end_agreement(self, agreement_id: str, ended_on: dt.date) -> None:
        if agreement_id not in self.agreements:
            raise invalid("agreement_id", "no such agreement for this organization", ", ".join(self.agreements) or None)
        self.record(OrganizationAgreementEnded(organization_id=self.id, agreement_id=agreement_id, ended_on=ended_on))

    def when_OrganizationRegistered(self, event: OrganizationRegistered) -> None:
        self.name, self.kind, self.contact_person_id = event.name, event.kind, event.contact_person_id

    def when_ContactPersonAppointed(self, event: ContactPersonAppointed) -> None:
        self.contacts.add(event.person_id)

    def when_ContactPersonRemoved(self, event: ContactPersonRemoved) -> None:
        self.contacts.discard(event.person_id)

    def when_OrganizationAgreementSigned(self, event: OrganizationAgreementSigned) -> None:
        self.agreements[event.agreement_id] = (event.valid_from, event.valid_until)

    def when_OrganizationAgreementEnded(self, event: OrganizationAgreementEnded) -> None:
        valid_from, _ = self.agreements[event.agreement_id]
        self.agreements[event.agreement_id] = (valid_from, event.ended_on)


class Expert(Aggregate):
    stream_prefix = "expert"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.organization_ids: list[str] = []
        self.trainings: list[str] = []
        self.county_trained = False
        self.consented = False
        self.active = True
        self.listed = False
        self.erased = False
        self.name: str | None = None
        self.email: str | None = None
        self.phone: str | None = None
        self.experience: str | None = None

    @classmethod
    def register(cls, expert_id: str, organization: Organization, name: str, email: str, phone: str | None,
                 experience: str | None, existing: Expert) -> Expert:
        if existing.exists:
            raise Conflict(f"expert {expert_id} is already registered")
        if not organization.exists:
            raise invalid("organization_id", "no such organization", "the id of a registered organization")
        expert = cls(expert_id)
        expert.record(ExpertRegistered(expert_id=expert_id, organization_id=organization.id, name=name,
                                       email=email, phone=phone, experience=experience))
        return expert

    def join(self, organization: Organization) -> None:
        self._require_not_erased()
        if organization.id in self.organization_ids:
            raise Conflict(f"expert {self.id} is already a member of {organization.id}")
        self.record(ExpertJoinedOrganization(expert_id=self.id, organization_id=organization.id))

    def complete_training(self, training: str, completed_on: dt.date, trainer: Organization, today: dt.date) -> None:
        self._require_not_erased()
        if completed_on > today:
            raise invalid("completed_on", "is in the future", f"a date on or before {today}")
        if not trainer.exists:
            raise invalid("trained_by", "no such organization", "the id of a registered organization")
        by_county = trainer.kind is OrganizationKind.county
        self.record(TrainingCompleted(expert_id=self.id, training=training, completed_on=completed_on,
                                      trained_by=trainer.id, by_county=by_county))
        # An expert trained by the county belongs to the county.
        if by_county and trainer.id not in self.organization_ids:
            self.record(ExpertJoinedOrganization(expert_id=self.id, organization_id=trainer.id))

    def give_consent(self) -> None:
        self._require_not_erased()
        if self.consented:
            raise Conflict("consent to be listed is already given")
        self.record(ConsentGiven(expert_id=self.id))

    def withdraw_consent(self) -> None:
        if not self.consented:
            raise Conflict("no consent to withdraw")
        self.record(ConsentWithdrawn(expert_id=self.id))
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="consent withdrawn"))

    def deactivate(self, reason: str) -> None:
        if not self.active:
            raise Conflict(f"expert {self.id} is already inactive")
        self.record(ExpertDeactivated(expert_id=self.id, reason=reason))
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="deactivated"))

    def list_in_bank(self, topics: list[str], languages: list[str], regions: list[str]) -> None:
        """Only a trained, active expert who has consented can be listed."""
        self._require_not_erased()
        problems = []
        if not self.trainings:
            problems.append(FieldProblem("expert_id", "has not completed a basic training", "a trained expert"))
        if not self.active:
            problems.append(FieldProblem("expert_id", "is not active", "an active expert"))
        if not self.consented:
            problems.append(FieldProblem("expert_id", "has not consented to being listed", "an expert who consented"))
        if problems:
            raise Invalid(f"expert {self.id} cannot be listed: " + "; ".join(p.reason for p in problems), problems)
        if self.listed:
            raise Conflict(f"expert {self.id} is already listed")
        if not topics:
            raise invalid("topics", "is empty", "at least one topic the expert speaks on")
        self.record(ExpertListed(expert_id=self.id, organization_ids=list(self.organization_ids),
                                 county_trained=self.county_trained, topics=topics, languages=languages,
                                 regions=regions))

    def unlist(self, reason: str) -> None:
        if not self.listed:
            raise Conflict(f"expert {self.id} is not listed")
        self.record(ExpertUnlisted(expert_id=self.id, reason=reason))

    def erase(self) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} is already erased")
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="erased"))
        self.record(ExpertErased(expert_id=self.id))

    def _require_not_erased(self) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} has been erased")

    def when_ExpertRegistered(self, event: ExpertRegistered) -> None:
        self.organization_ids = [event.organization_id]
        self.name, self.email, self.phone, self.experience = event.name, event.email, event.phone, event.experience

    def when_ExpertJoinedOrganization(self, event: ExpertJoinedOrganization) -> None:
        self.organization_ids.append(event.organization_id)

    def when_TrainingCompleted(self, event: TrainingCompleted) -> None:
        self.trainings.append(event.training)
        self.county_trained = self.county_trained or event.by_county

    def when_ConsentGiven(self, _: ConsentGiven) -> None:
        self.consented = True

    def when_ConsentWithdrawn(self, _: ConsentWithdrawn) -> None:
        self.consented = False

    def when_ExpertDeactivated(self, _: ExpertDeactivated) -> None:
        self.active = False

    def when_ExpertListed(self, _: ExpertListed) -> None:
        self.listed = True

    def when_ExpertUnlisted(self, _: ExpertUnlisted) -> None:
        self.listed = False

    def when_ExpertErased(self, _: ExpertErased) -> None:
        self.erased = True
        self.name = self.email = self.phone = self.experience = None


class OrdererCredentials(Aggregate):
    stream_prefix = "orderer"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.valid = False
        self.valid_until: dt.date | None = None
        self.email: str | None = None

    def grant(self, orderer_name: str, organization_id: str | None, valid_until: dt.date | None, today: dt.date,
              email: str | None = None) -> None:
        if valid_until is not None and valid_until < today:
            raise invalid("valid_until", "is in the past", f"a date on or after {today}")
        self.record(OrdererCredentialsGranted(orderer_id=self.id, orderer_name=orderer_name,
                                              organization_id=organization_id, valid_until=valid_until, email=email))

    def revoke(self, reason: str) -> None:
        if not self.valid:
            raise Conflict(f"orderer {self.id} has no credentials to revoke")
        self.record(OrdererCredentialsRevoked(orderer_id=self.id, reason=reason))

    def when_OrdererCredentialsGranted(self, event: OrdererCredentialsGranted) -> None:
        self.valid, self.valid_until, self.email = True, event.valid_until, event.email

    def when_OrdererCredentialsRevoked(self, _: OrdererCredentialsRevoked) -> None:
        self.valid = False

"""The expert: registering, memberships, trainings, consents, deactivation and erasure. No I/O here."""

from __future__ import annotations

import datetime as dt

from services.registry.domain.expert_profile import ExpertProfile
from services.registry.domain.holdings import (
    Consent,
    Profile,
    Review,
    TrainingRecord,
)
from services.registry.domain.organizations import Organization
from services.registry.events import (
    ConsentExpired,
    ConsentExpiryReminded,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ErasureGround,
    ExpertDeactivated,
    ExpertErased,
    ExpertJoinedOrganization,
    ExpertLeftOrganization,
    ExpertRegistered,
    ExpertUnlisted,
    MembershipDeclined,
    MembershipOffered,
    OrganizationKind,
    TrainingCompleted,
    TrainingKind,
)
from shared.errors import Conflict, invalid


class Expert(ExpertProfile):
    """An expert's whole life in the registry (the profile and the bank: :class:`ExpertProfile`)."""

    # -- registering and memberships -----------------------------------------------------------------------

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

    def offer_membership(self, organization: Organization) -> None:
        """An organization asks the expert to join; only the expert's acceptance makes them a member."""
        self._require_not_erased()
        if organization.id in self.organization_ids:
            raise Conflict(f"expert {self.id} is already a member of {organization.id}")
        if organization.id in self.offered_memberships:
            raise Conflict(f"{organization.id} has already asked expert {self.id} to join; the expert has not answered")
        self.record(MembershipOffered(expert_id=self.id, organization_id=organization.id))

    def answer_membership(self, organization_id: str, accept: bool) -> None:
        self._require_not_erased()
        if organization_id not in self.offered_memberships:
            raise invalid("organization_id", "has not asked the expert to join",
                          ", ".join(self.offered_memberships) or "(no organization has asked)")
        if accept:
            self.record(ExpertJoinedOrganization(expert_id=self.id, organization_id=organization_id))
            self._relist()
        else:
            self.record(MembershipDeclined(expert_id=self.id, organization_id=organization_id))

    def leave(self, organization_id: str) -> None:
        self._require_not_erased()
        if organization_id not in self.organization_ids:
            raise invalid("organization_id", "the expert is not a member of it", ", ".join(self.organization_ids))
        if len(self.organization_ids) == 1:
            raise invalid("organization_id", "an expert keeps at least one organization: join another one first",
                          "an organization the expert has another besides")
        self.record(ExpertLeftOrganization(expert_id=self.id, organization_id=organization_id))
        self._relist()

    # -- trainings ------------------------------------------------------------------------------------------

    def complete_training(self, training: str, completed_on: dt.date, trainer: Organization, today: dt.date,
                          kind: TrainingKind = TrainingKind.basic, programme_id: str | None = None) -> None:
        self._require_not_erased()
        if completed_on > today:
            raise invalid("completed_on", "is in the future", f"a date on or before {today}")
        if not trainer.exists:
            raise invalid("trained_by", "no such organization", "the id of a registered organization")
        if programme_id is not None and any(r.programme_id == programme_id for r in self.training_records):
            raise Conflict(f"expert {self.id} has already completed programme {programme_id}")
        by_county = trainer.kind is OrganizationKind.county
        self.record(TrainingCompleted(expert_id=self.id, training=training, completed_on=completed_on,
                                      trained_by=trainer.id, by_county=by_county, programme_id=programme_id,
                                      kind=kind))
        # An expert trained by the county belongs to the county.
        if by_county and trainer.id not in self.organization_ids:
            self.record(ExpertJoinedOrganization(expert_id=self.id, organization_id=trainer.id))
            self._relist()

    # -- consents -------------------------------------------------------------------------------------------

    def give_consent(self, purpose: ConsentPurpose, valid_until: dt.date, today: dt.date) -> None:
        """Consent from today to ``valid_until``; given again while it holds, it is renewed to the later end."""
        self._require_not_erased()
        if valid_until < today:
            raise invalid("valid_until", "is in the past", f"a date on or after {today}")
        held = self.consents.get(purpose.value)
        if held is not None and held.in_force(today) and (held.valid_until is None or held.valid_until >= valid_until):
            until = f" until {held.valid_until}" if held.valid_until else ""
            raise Conflict(f"consent for {purpose.value} is already given{until}")
        self.record(ConsentGiven(expert_id=self.id, scope=purpose.value, given_on=today, valid_until=valid_until))

    def withdraw_consent(self, purpose: ConsentPurpose = ConsentPurpose.bank_listing) -> None:
        if purpose.value not in self.consents:
            raise Conflict(f"no consent for {purpose.value} to withdraw")
        self.record(ConsentWithdrawn(expert_id=self.id, scope=purpose.value))
        if purpose is ConsentPurpose.bank_listing and self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="consent withdrawn"))

    def expire_consents(self, today: dt.date) -> int:
        """Every consent whose end date has passed ends; the bank's takes the expert off it."""
        ended = [c for c in self.consents.values() if not c.in_force(today)]
        for consent in ended:
            assert consent.valid_until is not None
            self.record(ConsentExpired(expert_id=self.id, scope=consent.purpose, valid_until=consent.valid_until))
            if consent.purpose == ConsentPurpose.bank_listing.value and self.listed:
                self.record(ExpertUnlisted(expert_id=self.id, reason="consent expired"))
        return len(ended)

    def remind_of_consents(self, today: dt.date, days_before: int) -> int:
        """A reminder, once for each end date, of every consent that ends within ``days_before`` days."""
        due = [c for c in self.consents.values() if c.valid_until is not None and c.in_force(today)
               and (c.valid_until - today).days <= days_before and c.reminded_for != c.valid_until]
        for consent in due:
            assert consent.valid_until is not None
            self.record(ConsentExpiryReminded(expert_id=self.id, scope=consent.purpose,
                                              valid_until=consent.valid_until))
        return len(due)

    def deactivate(self, reason: str) -> None:
        if not self.active:
            raise Conflict(f"expert {self.id} is already inactive")
        self.record(ExpertDeactivated(expert_id=self.id, reason=reason))
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="deactivated"))

    def erase(self, ground: ErasureGround, rule: str | None = None) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} is already erased")
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="erased"))
        self.record(ExpertErased(expert_id=self.id, ground=ground, rule=rule))

    # -- applying events ------------------------------------------------------------------------------------

    def when_ExpertRegistered(self, event: ExpertRegistered) -> None:
        self.organization_ids = [event.organization_id]
        self.name, self.email, self.phone, self.experience = event.name, event.email, event.phone, event.experience

    def when_MembershipOffered(self, event: MembershipOffered) -> None:
        self.offered_memberships.append(event.organization_id)

    def when_MembershipDeclined(self, event: MembershipDeclined) -> None:
        self.offered_memberships.remove(event.organization_id)

    def when_ExpertJoinedOrganization(self, event: ExpertJoinedOrganization) -> None:
        if event.organization_id in self.offered_memberships:
            self.offered_memberships.remove(event.organization_id)
        if event.organization_id not in self.organization_ids:
            self.organization_ids.append(event.organization_id)

    def when_ExpertLeftOrganization(self, event: ExpertLeftOrganization) -> None:
        self.organization_ids.remove(event.organization_id)

    def when_TrainingCompleted(self, event: TrainingCompleted) -> None:
        self.training_records.append(TrainingRecord(event.training, event.kind, event.programme_id,
                                                    event.completed_on, event.trained_by))
        self.county_trained = self.county_trained or event.by_county

    def when_ConsentGiven(self, event: ConsentGiven) -> None:
        self.consents[event.scope] = Consent(event.scope, event.given_on, event.valid_until)

    def when_ConsentWithdrawn(self, event: ConsentWithdrawn) -> None:
        self.consents.pop(event.scope, None)

    def when_ConsentExpired(self, event: ConsentExpired) -> None:
        self.consents.pop(event.scope, None)

    def when_ConsentExpiryReminded(self, event: ConsentExpiryReminded) -> None:
        if event.scope in self.consents:
            self.consents[event.scope].reminded_for = event.valid_until

    def when_ExpertDeactivated(self, _: ExpertDeactivated) -> None:
        self.active = False

    def when_ExpertErased(self, _: ExpertErased) -> None:
        self.erased = True
        self.name = self.email = self.phone = self.experience = None
        self.draft = Profile()
        self.published = None
        self.review = Review()

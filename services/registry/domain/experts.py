"""The expert: memberships, trainings, consents, the profile and its review, availability, the bank. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from services.registry.domain.holdings import (
    RELATIONS,
    Availability,
    Consent,
    Profile,
    Review,
    TrainingRecord,
)
from services.registry.domain.organizations import Organization
from services.registry.events import (
    AvailabilityChanged,
    BlackoutPeriod,
    ConsentExpired,
    ConsentExpiryReminded,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ExpertDeactivated,
    ExpertErased,
    ExpertJoinedOrganization,
    ExpertLeftOrganization,
    ExpertListed,
    ExpertProfileChanged,
    ExpertRegistered,
    ExpertUnlisted,
    MembershipDeclined,
    MembershipOffered,
    OrganizationKind,
    ProfileApproved,
    ProfileReturned,
    ProfileSubmittedForReview,
    TrainingCompleted,
    TrainingKind,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, FieldProblem, Invalid, invalid
from shared.events import DomainEvent


class Expert(Aggregate):
    stream_prefix = "expert"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.organization_ids: list[str] = []
        self.offered_memberships: list[str] = []
        self.training_records: list[TrainingRecord] = []
        self.county_trained = False
        self.consents: dict[str, Consent] = {}
        self.active = True
        self.listed = False
        self.erased = False
        self.name: str | None = None
        self.email: str | None = None
        self.phone: str | None = None
        self.experience: str | None = None
        self.draft = Profile()
        self.published: Profile | None = None
        self.review = Review()
        self.availability = Availability()
        self.listed_topics: list[str] = []  # the free topics a listing named before profiles had themes

    # -- what the expert is --------------------------------------------------------------------------------

    @property
    def trainings(self) -> list[str]:
        return [record.name for record in self.training_records]

    @property
    def basic_trained(self) -> bool:
        return any(record.kind is TrainingKind.basic for record in self.training_records)

    @property
    def further_trainings(self) -> list[str]:
        return sorted({record.programme_id or record.name for record in self.training_records
                       if record.kind is TrainingKind.further})

    @property
    def consented(self) -> bool:
        """Consent to the bank is given and not withdrawn (whether its end date has passed: :meth:`consents_on`)."""
        return ConsentPurpose.bank_listing.value in self.consents

    def consents_on(self, day: dt.date) -> dict[str, Consent]:
        return {purpose: c for purpose, c in self.consents.items() if c.in_force(day)}

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

    # -- the profile and its review -------------------------------------------------------------------------

    def change_profile(self, profile: Profile, themes_in_use: set[str]) -> bool:
        """Save the expert's draft; a theme must be one of the county's (a retired one only if already named)."""
        self._require_not_erased()
        named = {theme for theme, _ in self.draft.themes} | {theme for theme, _ in (self.published or Profile()).themes}
        problems = [FieldProblem(f"themes.{n}.theme", f"unknown theme {theme!r}",
                                 "a theme of the county's vocabulary")
                    for n, (theme, _) in enumerate(profile.themes) if theme not in themes_in_use | named]
        problems += [FieldProblem(f"themes.{n}.relation", f"is {relation!r}", " or ".join(RELATIONS))
                     for n, (_, relation) in enumerate(profile.themes) if relation not in RELATIONS]
        if problems:
            raise Invalid("the profile names " + "; ".join(p.reason for p in problems), problems)
        if profile == self.draft:
            return False
        self.record(ExpertProfileChanged(expert_id=self.id, **profile.fields()))
        return True

    def submit_for_review(self, listing: bool) -> None:
        self._require_not_erased()
        if not self.draft.themes:
            raise invalid("themes", "the profile names no theme of lived experience", "at least one theme")
        if self.review.state == "submitted":
            raise Conflict(f"the profile of expert {self.id} already waits for review")
        if self.draft == self.published and (self.listed or not listing):
            raise Conflict(f"the profile of expert {self.id} has no change to review")
        self.record(ProfileSubmittedForReview(expert_id=self.id, listing=listing and not self.listed))

    def approve_profile(self, today: dt.date) -> list[FieldProblem]:
        """The reviewer approves what waits for review: the bank shows it. Where the expert asked to be listed
        they are, if the rules allow; otherwise the problems say why not (the approval stands)."""
        if self.review.state != "submitted":
            raise Conflict(f"the profile of expert {self.id} does not wait for review")
        self.record(ProfileApproved(expert_id=self.id, **self.draft.fields()))
        if self.listed:
            self._relist()
            return []
        if self.review.listing_requested:
            problems = self.listing_problems(today)
            if not problems:
                self._list(self.listed_topics)
            return problems
        return []

    def return_profile(self, reason: str) -> None:
        if self.review.state != "submitted":
            raise Conflict(f"the profile of expert {self.id} does not wait for review")
        self.record(ProfileReturned(expert_id=self.id, reason=reason))

    # -- availability ---------------------------------------------------------------------------------------

    def set_availability(self, weekdays: list[int], blackouts: list[BlackoutPeriod]) -> None:
        self._require_not_erased()
        problems = [FieldProblem(f"blackouts.{n}.ends_on", "ends before it starts", f"a date on or after {b.starts_on}")
                    for n, b in enumerate(blackouts) if b.ends_on < b.starts_on]
        if problems:
            raise Invalid("a blackout period ends before it starts", problems)
        self.record(AvailabilityChanged(expert_id=self.id, weekdays=sorted(set(weekdays)),
                                        blackouts=sorted(blackouts, key=lambda b: (b.starts_on, b.ends_on))))

    # -- the bank -------------------------------------------------------------------------------------------

    def listing_problems(self, today: dt.date) -> list[FieldProblem]:
        problems = []
        if not self.basic_trained:
            problems.append(FieldProblem("expert_id", "has not completed a basic training", "a trained expert"))
        if not self.active:
            problems.append(FieldProblem("expert_id", "is not active", "an active expert"))
        if ConsentPurpose.bank_listing.value not in self.consents_on(today):
            problems.append(FieldProblem("expert_id", "has not consented to being listed", "an expert who consented"))
        return problems

    def list_in_bank(self, today: dt.date, topics: list[str], languages: list[str] | None,
                     regions: list[str] | None) -> None:
        """A reviewer lists the expert: only a trained, active expert whose consent holds. The reviewer approves
        the profile as it stands by listing it (``topics``: the free topics of a listing without a profile)."""
        self._require_not_erased()
        problems = self.listing_problems(today)
        if problems:
            raise Invalid(f"expert {self.id} cannot be listed: " + "; ".join(p.reason for p in problems), problems)
        if self.listed:
            raise Conflict(f"expert {self.id} is already listed")
        if not topics and not self.draft.themes:
            raise invalid("topics", "is empty, and the expert's profile names no theme",
                          "at least one topic, or a profile with a theme")
        draft = self.draft
        if languages is not None or regions is not None:
            draft = replace(draft, languages=tuple(languages if languages is not None else draft.languages),
                            regions=tuple(regions if regions is not None else draft.regions))
        if draft != (self.published or Profile()):
            self.record(ProfileApproved(expert_id=self.id, **draft.fields()))
        self._list(topics)

    def _list(self, topics: list[str]) -> None:
        shown = self.published or Profile()
        self.record(ExpertListed(expert_id=self.id, organization_ids=list(self.organization_ids),
                                 county_trained=self.county_trained, topics=list(topics),
                                 languages=list(shown.languages), regions=list(shown.regions)))

    def _relist(self) -> None:
        """A listed expert's listing, as orders and the bank know it, follows their organizations and profile."""
        if self.listed:
            self._list(self.listed_topics)

    def unlist(self, reason: str) -> None:
        if not self.listed:
            raise Conflict(f"expert {self.id} is not listed")
        self.record(ExpertUnlisted(expert_id=self.id, reason=reason))

    def deactivate(self, reason: str) -> None:
        if not self.active:
            raise Conflict(f"expert {self.id} is already inactive")
        self.record(ExpertDeactivated(expert_id=self.id, reason=reason))
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="deactivated"))

    def subject_of(self, event: DomainEvent) -> str | None:
        return self.id  # every event of the expert's stream is about them

    def erase(self) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} is already erased")
        if self.listed:
            self.record(ExpertUnlisted(expert_id=self.id, reason="erased"))
        self.record(ExpertErased(expert_id=self.id))

    def _require_not_erased(self) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} has been erased")

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

    def when_ExpertProfileChanged(self, event: ExpertProfileChanged) -> None:
        self.draft = Profile.of(event)
        if self.review.state != "submitted":
            self.review.state = "draft"

    def when_ProfileSubmittedForReview(self, event: ProfileSubmittedForReview) -> None:
        self.review = Review("submitted", listing_requested=event.listing)

    def when_ProfileApproved(self, event: ProfileApproved) -> None:
        self.published = Profile.of(event)
        self.draft = self.published
        self.review = Review("approved", listing_requested=self.review.listing_requested)

    def when_ProfileReturned(self, event: ProfileReturned) -> None:
        self.review = Review("returned", returned_reason=event.reason)

    def when_AvailabilityChanged(self, event: AvailabilityChanged) -> None:
        self.availability = Availability(list(event.weekdays), list(event.blackouts or []))

    def when_ExpertListed(self, event: ExpertListed) -> None:
        self.listed = True
        self.listed_topics = list(event.topics or [])
        self.review.listing_requested = False

    def when_ExpertUnlisted(self, _: ExpertUnlisted) -> None:
        self.listed = False

    def when_ExpertErased(self, _: ExpertErased) -> None:
        self.erased = True
        self.name = self.email = self.phone = self.experience = None
        self.draft = Profile()
        self.published = None
        self.review = Review()

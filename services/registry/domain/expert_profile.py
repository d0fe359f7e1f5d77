"""The expert as the bank shows them: the profile, its review, availability and the listing, with the state of
the whole expert (:class:`~services.registry.domain.experts.Expert` adds how they come to be so). No I/O here."""

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
from services.registry.events import (
    AvailabilityChanged,
    BlackoutPeriod,
    ConsentPurpose,
    ExpertListed,
    ExpertProfileChanged,
    ExpertUnlisted,
    ProfileApproved,
    ProfileReturned,
    ProfileSubmittedForReview,
    TrainingKind,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, FieldProblem, Invalid, invalid
from shared.events import DomainEvent


class ExpertProfile(Aggregate):
    """The state of an expert, and what a reviewer and the bank do with their profile."""

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

    def subject_of(self, event: DomainEvent) -> str | None:
        return self.id  # every event of the expert's stream is about them

    def _require_not_erased(self) -> None:
        if self.erased:
            raise Conflict(f"expert {self.id} has been erased")

    # -- applying events ------------------------------------------------------------------------------------

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


"""The in-memory fake of the registry's views, as its events keep it (the queries: :mod:`.in_memory`)."""


from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.orders import events as orders
from services.registry import events as ev
from services.registry.views import (
    AccessRow,
    BankEntry,
    CohortRow,
    OrdererRow,
    OrganizationRow,
    ProgrammeRow,
    ReviewItem,
    email_digest,
    split_themes,
)
from shared.envelope import Envelope
from shared.events import Role
from shared.identity import Capacity
from shared.projection import Projection


@dataclass
class _Credentials:
    valid_until: dt.date | None
    organization_id: str | None = None
    revoked: bool = False


@dataclass
class ExpertFacts:
    """What the bank and the situational picture know of one expert."""

    organization_ids: list[str]
    county_trained: bool = False
    listed: bool = False
    active: bool = True
    basic_trained: bool = False
    further_trainings: list[str] = field(default_factory=list)
    themes_own: list[str] = field(default_factory=list)
    themes_relative: list[str] = field(default_factory=list)
    municipality: str | None = None
    regions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["fi"])
    task_kinds: list[str] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    blackouts: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    last_active: dt.datetime | None = None
    deactivated_at: dt.datetime | None = None
    assignments: list[dt.datetime] = field(default_factory=list)


@dataclass
class InMemoryRecordedViews(Projection):
    bank: dict[str, tuple[dt.datetime, BankEntry]] = field(default_factory=dict)
    credentials: dict[str, _Credentials] = field(default_factory=dict)
    logins: dict[str, set[Capacity]] = field(default_factory=dict)
    organization_rows: dict[str, OrganizationRow] = field(default_factory=dict)
    orderer_rows: dict[str, OrdererRow] = field(default_factory=dict)
    memberships: set[tuple[str, str]] = field(default_factory=set)  # (organization id, expert id)
    facts: dict[str, ExpertFacts] = field(default_factory=dict)
    reviews: dict[str, ReviewItem] = field(default_factory=dict)
    consent_ends: dict[tuple[str, str], tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)
    programme_rows: dict[str, ProgrammeRow] = field(default_factory=dict)
    cohort_rows: dict[str, CohortRow] = field(default_factory=dict)
    accesses: list[AccessRow] = field(default_factory=list)
    completions: list[tuple[str, str]] = field(default_factory=list)  # (trained by, expert id)

    def _login(self, email: str | None, capacity: Capacity) -> None:
        if email:
            self.logins.setdefault(email_digest(email), set()).add(capacity)

    def _forget(self, keep: Callable[[Capacity], bool]) -> None:
        for held in self.logins.values():
            held.intersection_update({capacity for capacity in held if keep(capacity)})

    async def on_OrganizationRegistered(self, e: ev.OrganizationRegistered, connection: Any,
                                        event: Envelope[Any]) -> None:
        self.organization_rows.setdefault(e.organization_id, OrganizationRow(e.organization_id, e.name, e.kind.value))

    async def on_ExpertRegistered(self, e: ev.ExpertRegistered, connection: Any, event: Envelope[Any]) -> None:
        self._login(e.email, Capacity(role=Role.expert, id=e.expert_id))
        self.memberships.add((e.organization_id, e.expert_id))
        self.facts.setdefault(e.expert_id, ExpertFacts([e.organization_id]))

    async def on_ExpertJoinedOrganization(self, e: ev.ExpertJoinedOrganization, connection: Any,
                                          event: Envelope[Any]) -> None:
        self.memberships.add((e.organization_id, e.expert_id))
        held = self._facts(e.expert_id)
        if e.organization_id not in held.organization_ids:
            held.organization_ids.append(e.organization_id)

    async def on_ExpertLeftOrganization(self, e: ev.ExpertLeftOrganization, connection: Any,
                                        event: Envelope[Any]) -> None:
        self.memberships.discard((e.organization_id, e.expert_id))
        held = self._facts(e.expert_id)
        held.organization_ids = [o for o in held.organization_ids if o != e.organization_id]
        self._touch(e.expert_id, event)

    async def on_ExpertErased(self, e: ev.ExpertErased, connection: Any, event: Envelope[Any]) -> None:
        self._forget(lambda c: not (c.role is Role.expert and c.id == e.expert_id))
        self.facts.pop(e.expert_id, None)
        self.reviews.pop(e.expert_id, None)
        for key in [key for key in self.consent_ends if key[0] == e.expert_id]:
            del self.consent_ends[key]
        self.accesses = [row for row in self.accesses if row.expert_id != e.expert_id]

    def _facts(self, expert_id: str) -> ExpertFacts:
        return self.facts.setdefault(expert_id, ExpertFacts([]))

    def _touch(self, expert_id: str, event: Envelope[Any]) -> None:
        """The expert did something themself: recent activity, for the bank's ranking."""
        if event.actor.role is Role.expert and event.actor.id == expert_id and expert_id in self.facts:
            self.facts[expert_id].last_active = event.recorded_at

    async def on_EngagementOpened(self, e: orders.EngagementOpened, connection: Any, event: Envelope[Any]) -> None:
        if e.expert_id in self.facts:
            self.facts[e.expert_id].assignments.append(event.recorded_at)

    async def on_TrainingCompleted(self, e: ev.TrainingCompleted, connection: Any, event: Envelope[Any]) -> None:
        held = self._facts(e.expert_id)
        if e.kind is ev.TrainingKind.basic:
            held.basic_trained = True
        elif (e.programme_id or e.training) not in held.further_trainings:
            held.further_trainings = sorted([*held.further_trainings, e.programme_id or e.training])
        held.county_trained = held.county_trained or e.by_county
        self.completions.append((e.trained_by, e.expert_id))

    async def on_ExpertDeactivated(self, e: ev.ExpertDeactivated, connection: Any, event: Envelope[Any]) -> None:
        held = self._facts(e.expert_id)
        held.active, held.deactivated_at = False, event.recorded_at

    async def on_ExpertProfileChanged(self, e: ev.ExpertProfileChanged, connection: Any,
                                      event: Envelope[Any]) -> None:
        self._touch(e.expert_id, event)

    async def on_ProfileSubmittedForReview(self, e: ev.ProfileSubmittedForReview, connection: Any,
                                           event: Envelope[Any]) -> None:
        self.reviews[e.expert_id] = ReviewItem(e.expert_id, e.listing, event.recorded_at)
        self._touch(e.expert_id, event)

    async def on_ProfileApproved(self, e: ev.ProfileApproved, connection: Any, event: Envelope[Any]) -> None:
        self.reviews.pop(e.expert_id, None)
        held = self._facts(e.expert_id)
        held.themes_own, held.themes_relative = split_themes(e.themes)
        held.municipality, held.regions, held.languages = e.municipality, list(e.regions), list(e.languages)
        held.task_kinds = [kind.value for kind in e.task_kinds]

    async def on_ProfileReturned(self, e: ev.ProfileReturned, connection: Any, event: Envelope[Any]) -> None:
        self.reviews.pop(e.expert_id, None)

    async def on_AvailabilityChanged(self, e: ev.AvailabilityChanged, connection: Any, event: Envelope[Any]) -> None:
        held = self._facts(e.expert_id)
        held.weekdays = list(e.weekdays)
        held.blackouts = [(b.starts_on, b.ends_on) for b in e.blackouts or []]
        self._touch(e.expert_id, event)

    async def on_ConsentGiven(self, e: ev.ConsentGiven, connection: Any, event: Envelope[Any]) -> None:
        self.consent_ends[(e.expert_id, e.scope)] = (e.valid_until, None)
        self._touch(e.expert_id, event)

    async def on_ConsentWithdrawn(self, e: ev.ConsentWithdrawn, connection: Any, event: Envelope[Any]) -> None:
        self.consent_ends.pop((e.expert_id, e.scope), None)

    async def on_ConsentExpired(self, e: ev.ConsentExpired, connection: Any, event: Envelope[Any]) -> None:
        self.consent_ends.pop((e.expert_id, e.scope), None)

    async def on_ConsentExpiryReminded(self, e: ev.ConsentExpiryReminded, connection: Any,
                                       event: Envelope[Any]) -> None:
        key = (e.expert_id, e.scope)
        if key in self.consent_ends:
            self.consent_ends[key] = (self.consent_ends[key][0], e.valid_until)

    async def on_TrainingProgrammeDefined(self, e: ev.TrainingProgrammeDefined, connection: Any,
                                          event: Envelope[Any]) -> None:
        self.programme_rows[e.programme_id] = ProgrammeRow(
            e.programme_id, e.name, e.kind.value, e.organization_id,
            [{"module_id": module.module_id, "name": module.name} for module in e.modules])

    async def on_CohortOpened(self, e: ev.CohortOpened, connection: Any, event: Envelope[Any]) -> None:
        self.cohort_rows[e.cohort_id] = CohortRow(e.cohort_id, e.programme_id, e.organization_id, e.starts_on,
                                                  e.ends_on, 0)

    async def on_ParticipantEnrolled(self, e: ev.ParticipantEnrolled, connection: Any, event: Envelope[Any]) -> None:
        row = self.cohort_rows[e.cohort_id]
        self.cohort_rows[e.cohort_id] = CohortRow(row.cohort_id, row.programme_id, row.organization_id,
                                                  row.starts_on, row.ends_on, row.participants + 1)

    async def on_BankSearched(self, e: ev.BankSearched, connection: Any, event: Envelope[Any]) -> None:
        self.accesses.extend(AccessRow(event.recorded_at, "search", e.viewer_id, e.viewer_role,
                                       e.viewer_organization_id, e.purpose.value, expert_id)
                             for expert_id in e.expert_ids)

    async def on_ProfileViewed(self, e: ev.ProfileViewed, connection: Any, event: Envelope[Any]) -> None:
        self.accesses.append(AccessRow(event.recorded_at, "view", e.viewer_id, e.viewer_role,
                                       e.viewer_organization_id, e.purpose.value, e.expert_id))

    async def on_ContactPersonAppointed(self, e: ev.ContactPersonAppointed, connection: Any,
                                        event: Envelope[Any]) -> None:
        self._login(
            e.email, Capacity(role=Role.organization_contact, id=e.person_id, organization_id=e.organization_id)
        )

    async def on_ContactPersonRemoved(self, e: ev.ContactPersonRemoved, connection: Any, event: Envelope[Any]) -> None:
        gone = Capacity(role=Role.organization_contact, id=e.person_id, organization_id=e.organization_id)
        self._forget(lambda c: c != gone)

    async def on_ExpertListed(self, e: ev.ExpertListed, connection: Any, event: Envelope[Any]) -> None:
        entry = BankEntry(e.expert_id, list(e.organization_ids), e.county_trained, list(e.topics or []),
                          list(e.languages), list(e.regions))
        self.bank[e.expert_id] = (event.recorded_at, entry)
        held = self._facts(e.expert_id)
        held.listed, held.county_trained = True, e.county_trained
        held.organization_ids, held.languages, held.regions = list(e.organization_ids), list(e.languages), list(
            e.regions)

    async def on_ExpertUnlisted(self, e: ev.ExpertUnlisted, connection: Any, event: Envelope[Any]) -> None:
        self.bank.pop(e.expert_id, None)
        if e.expert_id in self.facts:
            self.facts[e.expert_id].listed = False

    async def on_OrdererCredentialsGranted(self, e: ev.OrdererCredentialsGranted, connection: Any,
                                           event: Envelope[Any]) -> None:
        self.credentials[e.orderer_id] = _Credentials(e.valid_until, e.organization_id)
        self.orderer_rows[e.orderer_id] = OrdererRow(e.orderer_id, e.orderer_name or "", e.organization_id,
                                                     e.valid_until, False)
        self._forget(lambda c: not (c.role is Role.orderer and c.id == e.orderer_id))
        self._login(e.email, Capacity(role=Role.orderer, id=e.orderer_id, organization_id=e.organization_id))

    async def on_OrdererErased(self, e: ev.OrdererErased, connection: Any, event: Envelope[Any]) -> None:
        self._forget(lambda c: not (c.role is Role.orderer and c.id == e.orderer_id))
        self.credentials.pop(e.orderer_id, None)
        self.orderer_rows.pop(e.orderer_id, None)

    async def on_OrdererCredentialsRevoked(self, e: ev.OrdererCredentialsRevoked, connection: Any,
                                           event: Envelope[Any]) -> None:
        if e.orderer_id in self.credentials:
            self.credentials[e.orderer_id].revoked = True
        row = self.orderer_rows.get(e.orderer_id)
        if row is not None:
            self.orderer_rows[e.orderer_id] = OrdererRow(row.orderer_id, row.orderer_name, row.organization_id,
                                                         row.valid_until, True)

"""The in-memory fake of the registry's views, for the unit tests of its handlers (the contract test in
``tests/contract/test_views.py`` holds it to what the PostgreSQL views do)."""


from __future__ import annotations

import datetime as dt

from services.registry.views import (
    AccessRow,
    BankEntry,
    BankPage,
    BankQuery,
    CohortRow,
    OrdererRow,
    OrganizationRow,
    ProfileEntry,
    ProgrammeRow,
    ReviewItem,
    SituationRow,
    email_digest,
    sorted_capacities,
)
from services.registry.views.in_memory_recording import ExpertFacts, InMemoryRecordedViews
from shared.events import Role
from shared.identity import Capacity


class InMemoryRegistryViews(InMemoryRecordedViews):
    """What the fake answers, from what :class:`InMemoryRecordedViews` keeps."""

    async def search_bank(self, *, topic: str | None = None, language: str | None = None,
                          region: str | None = None) -> list[BankEntry]:
        found = [(listed_at, entry) for listed_at, entry in self.bank.values()
                 if (topic is None or topic in entry.topics) and (language is None or language in entry.languages)
                 and (region is None or region in entry.regions or not entry.regions)]
        return [entry for _, entry in sorted(found, key=lambda item: (item[0], item[1].expert_id))]

    async def credentials_valid(self, orderer_id: str, day: dt.date, acting_for: str | None) -> bool:
        held = self.credentials.get(orderer_id)
        return (held is not None and not held.revoked and (held.valid_until is None or day <= held.valid_until)
                and held.organization_id in (None, acting_for))

    async def capacities(self, email: str, day: dt.date) -> list[Capacity]:
        held = self.logins.get(email_digest(email), set())
        valid = {c.id for c in held
                 if c.role is Role.orderer and await self.credentials_valid(c.id, day, c.organization_id)}
        return sorted_capacities(c for c in held if c.role is not Role.orderer or c.id in valid)

    async def organizations(self) -> list[OrganizationRow]:
        return [self.organization_rows[key] for key in sorted(self.organization_rows)]

    async def orderers(self) -> list[OrdererRow]:
        return [self.orderer_rows[key] for key in sorted(self.orderer_rows)]

    async def members(self, organization_id: str) -> list[str]:
        return sorted(expert_id for owner, expert_id in self.memberships if owner == organization_id)

    async def find_in_bank(self, query: BankQuery) -> BankPage:
        def matches(held: ExpertFacts) -> bool:
            day = query.available_on
            return (held.listed
                    and (not query.themes or _matched(held, query) > 0)
                    and (query.region is None or query.region in held.regions or not held.regions)
                    and (query.municipality is None or query.municipality == held.municipality)
                    and (query.language is None or query.language in held.languages)
                    and (query.organization_id is None or query.organization_id in held.organization_ids)
                    and (query.task_kind is None or query.task_kind in held.task_kinds)
                    and (query.further_training is None or query.further_training in held.further_trainings)
                    and (day is None or (day.isoweekday() in held.weekdays
                                         and not any(start <= day <= end for start, end in held.blackouts))))

        found = []
        for expert_id, held in self.facts.items():
            if matches(held):
                recent = sum(1 for at in held.assignments if query.since is None or at >= query.since)
                found.append(ProfileEntry(
                    expert_id, list(held.organization_ids), list(held.themes_own), list(held.themes_relative),
                    held.municipality, list(held.regions), list(held.languages), list(held.task_kinds),
                    list(held.further_trainings), list(held.weekdays), _matched(held, query), held.last_active,
                    recent))
        never = dt.datetime.min.replace(tzinfo=dt.UTC)

        def active(p: ProfileEntry) -> bool:
            return p.last_active is not None and (query.since is None or p.last_active >= query.since)

        found.sort(key=lambda p: (-p.themes_matched, not active(p), p.recent_assignments,
                                  -(p.last_active or never).timestamp(), p.expert_id))
        return BankPage(len(found), found[query.offset:query.offset + query.limit])

    async def profiles_to_review(self, organization_id: str | None) -> list[ReviewItem]:
        wanted = [item for item in self.reviews.values()
                  if organization_id is None or (organization_id, item.expert_id) in self.memberships]
        return sorted(wanted, key=lambda item: (item.submitted_at, item.expert_id))

    async def consents_due(self, today: dt.date, remind_days: int) -> list[str]:
        due = {expert_id for (expert_id, _), (until, reminded) in self.consent_ends.items()
               if until is not None and (until < today or ((until - today).days <= remind_days and reminded != until))}
        return sorted(due)

    async def retention_due(self, inactive_since: dt.datetime) -> list[str]:
        return sorted(expert_id for expert_id, held in self.facts.items()
                      if not held.active and held.deactivated_at is not None and held.deactivated_at < inactive_since
                      and (held.last_active is None or held.last_active < inactive_since)
                      and not any(at >= inactive_since for at in held.assignments))

    async def programmes(self) -> list[ProgrammeRow]:
        return [self.programme_rows[key] for key in sorted(self.programme_rows)]

    async def cohorts(self, organization_id: str | None) -> list[CohortRow]:
        rows = [row for row in self.cohort_rows.values() if organization_id in (None, row.organization_id)]
        rows.sort(key=lambda row: row.cohort_id)
        return sorted(rows, key=lambda row: row.starts_on, reverse=True)

    async def access_log(self, *, expert_id: str | None = None, viewer_id: str | None = None,
                         since: dt.datetime | None = None, limit: int = 200) -> list[AccessRow]:
        rows = [(n, row) for n, row in enumerate(self.accesses)
                if expert_id in (None, row.expert_id) and viewer_id in (None, row.viewer_id)
                and (since is None or row.at >= since)]
        rows.sort(key=lambda item: (-item[1].at.timestamp(), item[0]))  # the latest first, each as shown
        return [row for _, row in rows[:limit]]

    async def situation(self, organization_id: str | None, active_since: dt.datetime) -> list[SituationRow]:
        rows = []
        for row in await self.organizations():
            if organization_id not in (None, row.organization_id):
                continue
            members = [self.facts[e] for o, e in self.memberships if o == row.organization_id and e in self.facts]
            listed = [held for held in members if held.listed]
            by_theme: dict[str, int] = {}
            by_region: dict[str, int] = {}
            for held in listed:
                for theme in sorted({*held.themes_own, *held.themes_relative}):
                    by_theme[theme] = by_theme.get(theme, 0) + 1
                for region in held.regions:
                    by_region[region] = by_region.get(region, 0) + 1
            rows.append(SituationRow(
                row.organization_id, row.name, len(members), sum(held.basic_trained for held in members), len(listed),
                sum(1 for held in members if held.active and held.last_active is not None
                    and held.last_active >= active_since),
                dict(sorted(by_theme.items())), dict(sorted(by_region.items())),
                sum(1 for cohort in self.cohort_rows.values() if cohort.organization_id == row.organization_id),
                sum(1 for trainer, _ in self.completions if trainer == row.organization_id)))
        return rows


def _matched(held: ExpertFacts, query: BankQuery) -> int:
    if query.relation == "own":
        named = set(held.themes_own)
    elif query.relation == "relative":
        named = set(held.themes_relative)
    else:
        named = {*held.themes_own, *held.themes_relative}
    return len(named.intersection(query.themes))

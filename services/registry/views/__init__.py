"""What the registry's handlers read besides its streams: the port and the rows it answers with.

The PostgreSQL views (:mod:`services.registry.projections`) and the in-memory fake for unit tests
(:mod:`services.registry.views.in_memory`) implement the same port; one contract test
(``tests/contract/test_views.py``) runs against both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from shared.envelope import Envelope
from shared.identity import Capacity


@dataclass(frozen=True)
class BankEntry:
    """An expert as the experience bank lists them: no personal data, only ids and what they speak on."""

    expert_id: str
    organization_ids: list[str]
    county_trained: bool
    topics: list[str]
    languages: list[str]
    regions: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OrganizationRow:
    organization_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class OrdererRow:
    """An orderer's credentials as last granted or revoked (no address: that stays sealed in the events)."""

    orderer_id: str
    orderer_name: str
    organization_id: str | None
    valid_until: dt.date | None
    revoked: bool


class RegistryViews(Protocol):
    async def project(self, event: Envelope[Any], connection: Any) -> None: ...

    async def search_bank(self, *, topic: str | None = None, language: str | None = None,
                          region: str | None = None) -> list[BankEntry]:
        """Listed experts speaking on ``topic`` in ``language`` in ``region`` (one who names no region works
        anywhere), in the order they were listed."""
        ...

    async def credentials_valid(self, orderer_id: str, day: dt.date, acting_for: str | None) -> bool:
        """Whether the orderer holds credentials, not revoked, valid on ``day``, for staff of the organization
        ``acting_for`` (credentials scoped to an organization hold only for it; unscoped ones for any)."""
        ...

    async def capacities(self, email: str, day: dt.date) -> list[Capacity]:
        """The roles the records give whoever signs in with ``email`` on ``day``: each expert registered with
        it (not erased), each organization it is a contact person of, orderer credentials valid that day."""
        ...

    async def organizations(self) -> list[OrganizationRow]:
        """Every registered organization, by id."""
        ...

    async def orderers(self) -> list[OrdererRow]:
        """Every orderer ever granted credentials, by id."""
        ...

    async def members(self, organization_id: str) -> list[str]:
        """The ids of the experts who are members of the organization (registered with it or joined it, and
        not left), by id."""
        ...

    async def find_in_bank(self, query: BankQuery) -> BankPage:
        """Listed experts matching every filter of ``query``: those matching more of its themes first, then those
        active themselves since ``query.since``, then those with fewer assignments since then (so that work
        spreads), then the most recently active; then by id. One page of them, and how many match in all."""
        ...

    async def profiles_to_review(self, organization_id: str | None) -> list[ReviewItem]:
        """Profiles waiting for review, of the organization's members (or everyone's), the longest waiting first."""
        ...

    async def consents_due(self, today: dt.date, remind_days: int) -> list[str]:
        """Experts with a consent whose end date has passed, or that ends within ``remind_days`` days and has
        not been reminded of for that end date; by id."""
        ...

    async def retention_due(self, inactive_since: dt.datetime) -> list[str]:
        """Experts deactivated before ``inactive_since`` with nothing of their own or assigned to them since: the
        retention rule's, by id (an erased expert has no row)."""
        ...

    async def programmes(self) -> list[ProgrammeRow]:
        """Every training programme, by id."""
        ...

    async def cohorts(self, organization_id: str | None) -> list[CohortRow]:
        """The cohorts the organization runs (or every one), the latest starting first, then by id."""
        ...

    async def access_log(self, *, expert_id: str | None = None, viewer_id: str | None = None,
                         since: dt.datetime | None = None, limit: int = 200) -> list[AccessRow]:
        """Who searched for or looked at whom, the latest first: one row for each expert each time (the experts
        of one search in the order they were shown)."""
        ...

    async def situation(self, organization_id: str | None, active_since: dt.datetime) -> list[SituationRow]:
        """Per organization (the one, or every one by id): its experts trained, listed and active since
        ``active_since``, the listed ones by theme and region, and the trainings it has run."""
        ...


@dataclass(frozen=True)
class BankQuery:
    themes: tuple[str, ...] = ()
    relation: str | None = None  # "own" or "relative": which of the themes count
    region: str | None = None
    municipality: str | None = None
    language: str | None = None
    organization_id: str | None = None
    task_kind: str | None = None
    further_training: str | None = None
    available_on: dt.date | None = None
    since: dt.datetime | None = None  # assignments counted from here
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class ProfileEntry:
    """A listed expert as the bank's search shows them: the published profile's searchable parts, no name."""

    expert_id: str
    organization_ids: list[str]
    themes_own: list[str]
    themes_relative: list[str]
    municipality: str | None
    regions: list[str]
    languages: list[str]
    task_kinds: list[str]
    further_trainings: list[str]
    weekdays: list[int]
    themes_matched: int
    last_active: dt.datetime | None
    recent_assignments: int

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["last_active"] = self.last_active.isoformat() if self.last_active else None
        return found


@dataclass(frozen=True)
class BankPage:
    total: int
    entries: list[ProfileEntry]


@dataclass(frozen=True)
class ReviewItem:
    expert_id: str
    listing: bool
    submitted_at: dt.datetime


@dataclass(frozen=True)
class ProgrammeRow:
    programme_id: str
    name: str
    kind: str
    organization_id: str
    modules: list[dict[str, str]]


@dataclass(frozen=True)
class CohortRow:
    cohort_id: str
    programme_id: str
    organization_id: str
    starts_on: dt.date
    ends_on: dt.date
    participants: int


@dataclass(frozen=True)
class AccessRow:
    at: dt.datetime
    kind: str  # "search" or "view"
    viewer_id: str
    viewer_role: str
    viewer_organization_id: str | None
    purpose: str
    expert_id: str


@dataclass(frozen=True)
class SituationRow:
    organization_id: str
    name: str
    experts: int
    trained: int
    listed: int
    active: int
    by_theme: dict[str, int]
    by_region: dict[str, int]
    cohorts: int
    trainings_completed: int


def email_digest(email: str) -> str:
    """Who signs in, as the registry's sign-in table keeps it: no address in clear beside the events."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def sorted_capacities(found: Iterable[Capacity]) -> list[Capacity]:
    return sorted(found, key=lambda c: (c.role.value, c.organization_id or "", c.id))


def split_themes(sealed: str | None) -> tuple[list[str], list[str]]:
    """A profile event's themes as (own, relative) lists of ids, each sorted."""
    items = json.loads(sealed) if sealed else []
    own = sorted({item["theme"] for item in items if item["relation"] == "own"})
    relative = sorted({item["theme"] for item in items if item["relation"] == "relative"})
    return own, relative

"""What the registry's handlers read besides its streams: the port, and its in-memory fake for unit tests.

The PostgreSQL views (:mod:`services.registry.projections`) implement the same port; one contract test
(``tests/contract/test_views.py``) runs against both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from services.registry import events as ev
from shared.envelope import Envelope
from shared.events import Role
from shared.identity import Capacity
from shared.projection import Projection


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

    async def credentials_valid(self, orderer_id: str, day: dt.date) -> bool:
        """Whether the orderer holds credentials, not revoked, valid on ``day``."""
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
        """The ids of the experts who are members of the organization (registered with it or joined it), by id."""
        ...


def email_digest(email: str) -> str:
    """Who signs in, as the registry's sign-in table keeps it: no address in clear beside the events."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def sorted_capacities(found: Iterable[Capacity]) -> list[Capacity]:
    return sorted(found, key=lambda c: (c.role.value, c.organization_id or "", c.id))


@dataclass
class _Credentials:
    valid_until: dt.date | None
    revoked: bool = False


@dataclass
class InMemoryRegistryViews(Projection):
    bank: dict[str, tuple[dt.datetime, BankEntry]] = field(default_factory=dict)
    credentials: dict[str, _Credentials] = field(default_factory=dict)
    logins: dict[str, set[Capacity]] = field(default_factory=dict)
    organization_rows: dict[str, OrganizationRow] = field(default_factory=dict)
    orderer_rows: dict[str, OrdererRow] = field(default_factory=dict)
    memberships: set[tuple[str, str]] = field(default_factory=set)  # (organization id, expert id)

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

    async def on_ExpertJoinedOrganization(self, e: ev.ExpertJoinedOrganization, connection: Any,
                                          event: Envelope[Any]) -> None:
        self.memberships.add((e.organization_id, e.expert_id))

    async def on_ExpertErased(self, e: ev.ExpertErased, connection: Any, event: Envelope[Any]) -> None:
        self._forget(lambda c: not (c.role is Role.expert and c.id == e.expert_id))

    async def on_ContactPersonAppointed(self, e: ev.ContactPersonAppointed, connection: Any,
                                        event: Envelope[Any]) -> None:
        self._login(
            e.email, Capacity(role=Role.organization_contact, id=e.person_id, organization_id=e.organization_id)
        )

    async def on_ContactPersonRemoved(self, e: ev.ContactPersonRemoved, connection: Any, event: Envelope[Any]) -> None:
        gone = Capacity(role=Role.organization_contact, id=e.person_id, organization_id=e.organization_id)
        self._forget(lambda c: c != gone)

    async def on_ExpertListed(self, e: ev.ExpertListed, connection: Any, event: Envelope[Any]) -> None:
        self.bank[e.expert_id] = (event.recorded_at, BankEntry(e.expert_id, list(e.organization_ids), e.county_trained,
                                                               list(e.topics), list(e.languages), list(e.regions)))

    async def on_ExpertUnlisted(self, e: ev.ExpertUnlisted, connection: Any, event: Envelope[Any]) -> None:
        self.bank.pop(e.expert_id, None)

    async def on_OrdererCredentialsGranted(self, e: ev.OrdererCredentialsGranted, connection: Any,
                                           event: Envelope[Any]) -> None:
        self.credentials[e.orderer_id] = _Credentials(e.valid_until)
        self.orderer_rows[e.orderer_id] = OrdererRow(e.orderer_id, e.orderer_name, e.organization_id, e.valid_until,
                                                     False)
        self._forget(lambda c: not (c.role is Role.orderer and c.id == e.orderer_id))
        self._login(e.email, Capacity(role=Role.orderer, id=e.orderer_id, organization_id=e.organization_id))

    async def on_OrdererCredentialsRevoked(self, e: ev.OrdererCredentialsRevoked, connection: Any,
                                           event: Envelope[Any]) -> None:
        if e.orderer_id in self.credentials:
            self.credentials[e.orderer_id].revoked = True
        row = self.orderer_rows.get(e.orderer_id)
        if row is not None:
            self.orderer_rows[e.orderer_id] = OrdererRow(row.orderer_id, row.orderer_name, row.organization_id,
                                                         row.valid_until, True)

    async def search_bank(self, *, topic: str | None = None, language: str | None = None,
                          region: str | None = None) -> list[BankEntry]:
        found = [(listed_at, entry) for listed_at, entry in self.bank.values()
                 if (topic is None or topic in entry.topics) and (language is None or language in entry.languages)
                 and (region is None or region in entry.regions or not entry.regions)]
        return [entry for _, entry in sorted(found, key=lambda item: (item[0], item[1].expert_id))]

    async def credentials_valid(self, orderer_id: str, day: dt.date) -> bool:
        held = self.credentials.get(orderer_id)
        return held is not None and not held.revoked and (held.valid_until is None or day <= held.valid_until)

    async def capacities(self, email: str, day: dt.date) -> list[Capacity]:
        held = self.logins.get(email_digest(email), set())
        valid = {c.id for c in held if c.role is Role.orderer and await self.credentials_valid(c.id, day)}
        return sorted_capacities(c for c in held if c.role is not Role.orderer or c.id in valid)

    async def organizations(self) -> list[OrganizationRow]:
        return [self.organization_rows[key] for key in sorted(self.organization_rows)]

    async def orderers(self) -> list[OrdererRow]:
        return [self.orderer_rows[key] for key in sorted(self.orderer_rows)]

    async def members(self, organization_id: str) -> list[str]:
        return sorted(expert_id for owner, expert_id in self.memberships if owner == organization_id)

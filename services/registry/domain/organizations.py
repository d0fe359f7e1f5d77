"""Organizations with their contact persons (their agreements: :mod:`.agreements`), and orderers' credentials.
No I/O here."""

from __future__ import annotations

import datetime as dt

from services.registry.domain.agreements import AgreementsOf
from services.registry.events import (
    ContactPersonAppointed,
    ContactPersonErased,
    ContactPersonRemoved,
    ErasureGround,
    OrdererCredentialsGranted,
    OrdererCredentialsRevoked,
    OrdererErased,
    OrganizationKind,
    OrganizationRegistered,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, invalid
from shared.events import DomainEvent


class Organization(AgreementsOf):
    stream_prefix = "organization"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.kind: OrganizationKind | None = None
        self.contact_person_id: str | None = None
        self.contacts: dict[str, str | None] = {}  # person id -> name (None once erased)

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

    def remove_contact(self, person_id: str, reason: str | None) -> None:
        if person_id not in self.contacts:
            raise invalid(
                "person_id", f"is not a contact person of {self.id}", ", ".join(sorted(self.contacts)) or None
            )
        self.record(ContactPersonRemoved(organization_id=self.id, person_id=person_id, reason=reason))

    def subject_of(self, event: DomainEvent) -> str | None:
        """A contact person's appointment and removal hold their personal data."""
        if isinstance(event, ContactPersonAppointed | ContactPersonRemoved):
            return event.person_id
        return None

    def when_OrganizationRegistered(self, event: OrganizationRegistered) -> None:
        self.name, self.kind, self.contact_person_id = event.name, event.kind, event.contact_person_id

    def when_ContactPersonAppointed(self, event: ContactPersonAppointed) -> None:
        self.contacts[event.person_id] = event.name

    def when_ContactPersonRemoved(self, event: ContactPersonRemoved) -> None:
        self.contacts.pop(event.person_id, None)


class ContactPersonRecord(Aggregate):
    """A contact person's own record, apart from the organizations they served: that their data was erased."""

    stream_prefix = "contact-person"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.erased = False

    def erase(self, ground: ErasureGround) -> None:
        if self.erased:
            raise Conflict(f"contact person {self.id} is already erased")
        self.record(ContactPersonErased(person_id=self.id, ground=ground))

    def when_ContactPersonErased(self, _: ContactPersonErased) -> None:
        self.erased = True


class OrdererCredentials(Aggregate):
    stream_prefix = "orderer"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.valid = False
        self.erased = False
        self.valid_until: dt.date | None = None
        self.email: str | None = None

    def grant(self, orderer_name: str, organization_id: str | None, valid_until: dt.date | None, today: dt.date,
              email: str | None = None) -> None:
        if self.erased:
            raise Conflict(f"orderer {self.id} has been erased: credentials go to a new orderer id")
        if valid_until is not None and valid_until < today:
            raise invalid("valid_until", "is in the past", f"a date on or after {today}")
        self.record(OrdererCredentialsGranted(orderer_id=self.id, orderer_name=orderer_name,
                                              organization_id=organization_id, valid_until=valid_until, email=email))

    def subject_of(self, event: DomainEvent) -> str | None:
        return self.id  # every event of the credentials is the orderer's

    def revoke(self, reason: str) -> None:
        if self.erased:
            raise Conflict(f"orderer {self.id} has been erased")
        if not self.valid:
            raise Conflict(f"orderer {self.id} has no credentials to revoke")
        self.record(OrdererCredentialsRevoked(orderer_id=self.id, reason=reason))

    def erase(self, ground: ErasureGround) -> None:
        """The orderer's credentials end, and their personal data goes (the caller shreds their key)."""
        if self.erased:
            raise Conflict(f"orderer {self.id} is already erased")
        if self.valid:
            self.record(OrdererCredentialsRevoked(orderer_id=self.id, reason=None))
        self.record(OrdererErased(orderer_id=self.id, ground=ground))

    def when_OrdererCredentialsGranted(self, event: OrdererCredentialsGranted) -> None:
        self.valid, self.valid_until, self.email = True, event.valid_until, event.email

    def when_OrdererCredentialsRevoked(self, _: OrdererCredentialsRevoked) -> None:
        self.valid = False

    def when_OrdererErased(self, _: OrdererErased) -> None:
        self.valid, self.erased, self.email = False, True, None

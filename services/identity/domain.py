"""Sessions and the roles a token may act in. No I/O here.

A session is what a client holds after signing in: a secret it presents for each new token. The service keeps
only a digest of the secret. Every token is made from the records as they are when it is asked for, so the
session itself holds no roles but the staff roles the provider vouched for at sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from services.identity.events import SignedIn, SignedOut, SignInsErased
from shared.aggregate import Aggregate
from shared.errors import Conflict, Forbidden, Unauthenticated, invalid
from shared.events import DomainEvent, Role
from shared.identity import Capacity

# Roles the sign-in itself vouches for, not the registry: staff roles from the staff provider's groups, and
# integration for a system registered with the identity service (services/identity/systems.py).
VOUCHED_ROLES = (Role.coordinator, Role.auditor, Role.integration)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def reference(secret: str) -> str:
    """What the service keeps of a session's secret: enough to find it, nothing to present."""
    return hashlib.sha256(secret.encode()).hexdigest()[:40]


# The registry's records a sign-in may belong to, and how the registry's erasure events name them.
RECORD_ROLES = (Role.expert, Role.orderer, Role.organization_contact)


def session_subject(ref: str) -> str:
    """The key a session's personal data is sealed with: one per sign-in, shredded when its person is erased."""
    return f"signin:{ref}"


def records_of(capacities: list[Capacity]) -> list[str]:
    """The registry's records among the person's roles (experts, orderers, contact persons), each once."""
    return sorted({capacity.id for capacity in capacities if capacity.role in RECORD_ROLES})


def vouched_capacities(person: str, roles: list[Role]) -> list[Capacity]:
    return [Capacity(role=role, id=person) for role in VOUCHED_ROLES if role in roles]


def choose(
    capacities: list[Capacity], role: Role | None, organization_id: str | None, record_id: str | None
) -> Capacity:
    """The capacity a token acts in: the one asked for, or the person's first when they ask for none."""
    if not capacities:
        raise Forbidden("this account has no role in kokemus: a coordinator, or an organization's contact person, "
                        "adds people (as experts, contact persons or orderers) with the address they sign in with")
    fitting = [c for c in capacities if (role is None or c.role is role)
               and (organization_id is None or c.organization_id == organization_id)
               and (record_id is None or c.id == record_id)]
    if not fitting:
        held = ", ".join(c.label() for c in capacities)
        raise invalid("act_as", "is not a role this person has now", held)
    return fitting[0]


class Session(Aggregate):
    stream_prefix = "session"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.person = ""
        self.email: str | None = None
        self.staff_roles: list[Role] = []
        self.development = False
        self.expires_at = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.ended = False

    @classmethod
    def begin(cls, ref: str, person: str, provider: str, email: str | None, staff_roles: list[Role],
              development: bool, expires_at: dt.datetime, records: list[str]) -> Session:
        session = cls(ref)
        session.record(SignedIn(session_ref=ref, person=person, provider=provider, development=development,
                                staff_roles=staff_roles, expires_at=expires_at, email=email, records=records))
        return session

    def subject_of(self, event: DomainEvent) -> str | None:
        return session_subject(self.id) if isinstance(event, SignedIn) else None

    def check_active(self, now: dt.datetime) -> None:
        if not self.exists or self.ended:
            raise Unauthenticated("the session has ended: sign in again")
        if now >= self.expires_at:
            raise Unauthenticated("the session has expired: sign in again")

    def end(self, everywhere: bool = False) -> None:
        if self.ended:
            raise Conflict("the session has already ended")
        self.record(SignedOut(session_ref=self.id, person=self.person, everywhere=everywhere))

    def when_SignedIn(self, e: SignedIn) -> None:
        self.person, self.email, self.staff_roles = e.person, e.email, list(e.staff_roles)
        self.development, self.expires_at = e.development, e.expires_at

    def when_SignedOut(self, _: SignedOut) -> None:
        self.ended = True


class SignIns(Aggregate):
    """Everything the service holds of one person (by the provider's subject): here only their erasures."""

    stream_prefix = "signins"

    def erase(self, record_id: str, record_kind: str, sessions: int) -> None:
        self.record(SignInsErased(person=self.id, record_id=record_id, record_kind=record_kind, sessions=sessions))

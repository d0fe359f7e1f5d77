"""Events the identity service publishes on ``kokemus.identity.events.<EventType>`` (its public contract).

Only signing in and out, and the erasure of a person's sign-ins, are recorded: the tokens a session gets every
minute are not, as they change nothing.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.events import DomainEvent, Personal, Role


class SignedIn(DomainEvent):
    """A person signed in: a session began. ``person`` is the provider and the provider's subject; the
    e-mail address the provider vouched for is sealed with the session's own key (``signin:<session_ref>``;
    the person's key before the registry's erasures reached the identity service), so erasing one person's
    sign-ins never stops another role of the same address signing in. ``records`` are the registry's records
    (expert, orderer, contact person) the person held when signing in: an erasure of one finds the sessions."""

    session_ref: str  # a digest of the session's secret, never the secret
    person: str
    provider: str
    development: bool
    staff_roles: list[Role]
    expires_at: dt.datetime
    email: Personal = None
    records: list[str] = Field(default_factory=list)


class SignedOut(DomainEvent):
    """A session ended: its holder signed out, or signed out everywhere."""

    session_ref: str
    person: str
    everywhere: bool = False


class SignInsErased(DomainEvent):
    """The registry erased a record (an expert, an orderer or a contact person) this person signed in as: their
    open sessions ended first (each its SignedOut), the keys their sign-ins were sealed with were shredded (the
    addresses read as erased), and the service's view forgot them. ``sessions`` counts the sign-ins erased."""

    person: str
    record_id: str
    record_kind: str  # expert, orderer, contact_person
    sessions: int

"""Events the identity service publishes on ``kokemus.identity.events.<EventType>`` (its public contract).

Only signing in and out are recorded: the tokens a session gets every minute are not, as they change nothing.
"""

from __future__ import annotations

import datetime as dt

from shared.events import DomainEvent, Personal, Role


class SignedIn(DomainEvent):
    """A person signed in: a session began. ``person`` is the provider and the provider's subject; the
    e-mail address the provider vouched for is sealed with the person's key."""

    session_ref: str  # a digest of the session's secret, never the secret
    person: str
    provider: str
    development: bool
    staff_roles: list[Role]
    expires_at: dt.datetime
    email: Personal = None


class SignedOut(DomainEvent):
    """A session ended: its holder signed out, or signed out everywhere."""

    session_ref: str
    person: str
    everywhere: bool = False

"""Events the notifications service publishes on ``kokemus.notifications.events.<EventType>`` (its public
contract).

A person's contact book entry lives in the stream ``contact-<person_id>``: the address fields are sealed with
the person's key in this service's store, so erasing the person (their key shredded) erases them. Each message
lives in ``notification-<notification_id>``: what kind, for whom, which page; never the address, never the text.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from shared.events import DomainEvent, Personal


class Language(enum.StrEnum):
    fi = "fi"
    sv = "sv"
    en = "en"


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class MessageKind(enum.StrEnum):
    offer_made = "offer_made"  # required: an offer expires unanswered otherwise
    offer_expiring = "offer_expiring"  # an offer still unanswered a day before it expires
    contract_to_sign = "contract_to_sign"  # required: the contract binds the parties
    task_changed = "task_changed"  # the orderer changed the task of an offer or engagement
    candidates_exhausted = "candidates_exhausted"  # every candidate of an order had their turn: name more
    engagement_cancelled = "engagement_cancelled"
    expense_approved = "expense_approved"
    expense_returned = "expense_returned"
    feedback_requested = "feedback_requested"
    feedback_reminder = "feedback_reminder"
    payment_made = "payment_made"
    consent_expiring = "consent_expiring"
    profile_returned = "profile_returned"
    credentials_expiring = "credentials_expiring"  # an orderer's credentials to search the bank end soon


# Kinds a person cannot turn off: an answer or a signature is waited for, and the contract relies on it.
REQUIRED_KINDS = frozenset({MessageKind.offer_made, MessageKind.contract_to_sign})


class ContactDetailsSet(DomainEvent):
    """Where and how a person wants to be told. The address fields are sealed with the person's key."""

    person_id: str
    email: Personal = None
    phone: Personal = None
    language: Language
    channel: Channel


class MutedKindsSet(DomainEvent):
    """The kinds of message the person turned off (never one of the required kinds); empty: all on."""

    person_id: str
    muted: list[MessageKind]


class ContactForgotten(DomainEvent):
    """The person's contact details were erased (by them, a coordinator, or their erasure in the registry):
    their key is shredded, so every earlier address reads as null."""

    person_id: str


class NotificationQueued(DomainEvent):
    """A message is due to the person, recorded before anything is sent: exactly one per source event and
    person (its id follows from both)."""

    notification_id: uuid.UUID
    person_id: str
    kind: MessageKind
    path: str  # the page of the web interface the message links to, under the base address
    source_event_id: uuid.UUID
    queued_at: dt.datetime | None = None  # the service's clock, from which the first attempt is timed


class NotificationSent(DomainEvent):
    notification_id: uuid.UUID
    channel: Channel
    attempt: int
    sent_at: dt.datetime


class NotificationFailed(DomainEvent):
    """A temporary failure (the server was away, a 4xx reply): tried again at ``retry_at``."""

    notification_id: uuid.UUID
    channel: Channel
    attempt: int
    reason: str  # the failure's kind and code only ("SMTP 451"): a server's words may quote the address
    retry_at: dt.datetime


class NotificationBounced(DomainEvent):
    """A permanent failure (the address refused, no address left, the attempts used up): not tried again,
    and shown to the coordinator and the person."""

    notification_id: uuid.UUID
    person_id: str
    channel: Channel | None
    attempt: int
    reason: str

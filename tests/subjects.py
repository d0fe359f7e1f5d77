"""Whose key seals an event's personal fields, for tests that record events straight into a store as the
service owning them would (the services name the subject through their aggregates: ``subject_of``)."""

from __future__ import annotations

from shared.events import DomainEvent

SUBJECT_FIELDS = ("person_id", "orderer_id", "expert_id", "respondent_id")


def subject_of(payload: DomainEvent, default: str = "orderer-1") -> str | None:
    """The payload's person (a contact person, orderer, expert or respondent), or ``default`` when it holds
    personal data but names nobody (an order's change, say); None when it holds no personal data."""
    if not payload.personal_fields():
        return None
    for name in SUBJECT_FIELDS:
        value = getattr(payload, name, None)
        if isinstance(value, str):
            return value
    return default

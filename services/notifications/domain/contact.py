"""A person's contact book entry: their address, language, channel and the kinds of message they turned off.

Keyed by the id the other services' events use for the person (``expert_id``, ``orderer_id``,
``respondent_id``: the id of their verified identity), so a message can be routed to them without this
service learning anything else about them.
"""

from __future__ import annotations

import re

from services.notifications.events import (
    REQUIRED_KINDS,
    Channel,
    ContactDetailsSet,
    ContactForgotten,
    Language,
    MessageKind,
    MutedKindsSet,
)
from shared.aggregate import Aggregate
from shared.errors import invalid

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164, as SMS gateways take it


def check_contact(email: str | None, phone: str | None, channel: Channel) -> tuple[str | None, str | None]:
    """The address fields cleaned, or a validation error naming the field."""
    email = (email or "").strip() or None
    phone = (phone or "").replace(" ", "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.match(email)):
        raise invalid("email", "is not an e-mail address", "an address like name@example.fi")
    if phone is not None and not PHONE.match(phone):
        raise invalid("phone", "is not a phone number in international form",
                      "+ and 7 to 15 digits, e.g. +358401234567")
    if channel is Channel.email and email is None:
        raise invalid("email", "is missing but the channel is email", "an e-mail address, or the channel sms")
    if channel is Channel.sms and phone is None:
        raise invalid("phone", "is missing but the channel is sms", "a phone number, or the channel email")
    return email, phone


def check_muted(kinds: list[MessageKind]) -> list[MessageKind]:
    required = sorted(kind.value for kind in REQUIRED_KINDS.intersection(kinds))
    if required:
        optional = ", ".join(sorted(kind.value for kind in MessageKind if kind not in REQUIRED_KINDS))
        raise invalid("muted", f"{', '.join(required)} cannot be turned off (an answer or a signature waits)",
                      optional)
    return sorted(set(kinds))


class Contact(Aggregate):
    stream_prefix = "contact"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.email: str | None = None
        self.phone: str | None = None
        self.language = Language.fi
        self.channel: Channel | None = None
        self.muted: frozenset[MessageKind] = frozenset()
        self.forgotten = 0  # how many times the details were erased

    @property
    def subject_id(self) -> str:
        """The key the details are sealed with. Erasing shreds it for good, so details given again after
        an erasure the person asked for are sealed with a new one."""
        return f"{self.id}#{self.forgotten}" if self.forgotten else self.id

    def subject_of(self, event: object) -> str | None:
        # The erasure's own record holds nothing personal, and the key it follows is about to be shredded.
        return None if isinstance(event, ContactForgotten) else self.subject_id

    def set_details(self, email: str | None, phone: str | None, language: Language, channel: Channel) -> None:
        email, phone = check_contact(email, phone, channel)
        if (email, phone, language, channel) != (self.email, self.phone, self.language, self.channel):
            self.record(ContactDetailsSet(person_id=self.id, email=email, phone=phone, language=language,
                                          channel=channel))

    def set_muted(self, kinds: list[MessageKind]) -> None:
        muted = check_muted(kinds)
        if frozenset(muted) != self.muted:
            self.record(MutedKindsSet(person_id=self.id, muted=muted))

    def forget(self) -> str | None:
        """Erase the details; return the key to shred (None: nothing was kept)."""
        if self.channel is None:
            return None
        subject = self.subject_id
        self.record(ContactForgotten(person_id=self.id))
        return subject

    def wants(self, kind: MessageKind) -> bool:
        """Whether a message of this kind is to be sent to the person at all."""
        return self.channel is not None and (kind in REQUIRED_KINDS or kind not in self.muted)

    def address(self) -> str | None:
        """Where the chosen channel reaches the person; None once erased."""
        if self.channel is Channel.email:
            return self.email
        if self.channel is Channel.sms:
            return self.phone
        return None

    def view(self) -> dict[str, object]:
        return {"person_id": self.id, "email": self.email, "phone": self.phone, "language": self.language.value,
                "channel": self.channel.value if self.channel else None,
                "muted": sorted(kind.value for kind in self.muted),
                "required": sorted(kind.value for kind in REQUIRED_KINDS)}

    def when_ContactDetailsSet(self, event: ContactDetailsSet) -> None:
        self.email, self.phone = event.email, event.phone
        self.language, self.channel = event.language, event.channel

    def when_MutedKindsSet(self, event: MutedKindsSet) -> None:
        self.muted = frozenset(event.muted)

    def when_ContactForgotten(self, _: ContactForgotten) -> None:
        self.forgotten += 1
        self.email = self.phone = None
        self.channel = None
        self.muted = frozenset()

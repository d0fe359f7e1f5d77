"""Commands and queries the notifications service answers on ``kokemus.notifications.cmd.*`` and
``kokemus.notifications.query.*``.

``person_id`` is left out by a person acting on their own entry (their verified identity names it); a
coordinator gives it to act for an expert.
"""

from __future__ import annotations

from pydantic import Field

from services.notifications.events import Channel, Language, MessageKind
from shared.commands import Command, Request
from shared.fields import Identifier


class SetContact(Command):
    person_id: Identifier | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    language: Language = Language.fi
    channel: Channel = Channel.email


class MuteKinds(Command):
    """The kinds of message not to send any more (the whole list: leave it empty to hear of everything)."""

    person_id: Identifier | None = None
    muted: list[MessageKind] = Field(default_factory=list, max_length=len(MessageKind))


class ForgetContact(Command):
    person_id: Identifier | None = None


class GetContact(Request):
    person_id: Identifier | None = None


class UndeliveredNotifications(Request):
    """The messages that could not be delivered: a coordinator's all (or one person's), a person's own."""

    person_id: Identifier | None = None
    limit: int = Field(100, ge=1, le=500)

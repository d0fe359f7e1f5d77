"""One message's life: queued (recorded before anything is sent), then sent, or failed and tried again later
with a growing wait, or bounced for good. No I/O here: the sending job (handlers/sending.py) sends and tells
the aggregate how it went.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from services.notifications.events import (
    Channel,
    MessageKind,
    NotificationBounced,
    NotificationFailed,
    NotificationQueued,
    NotificationSent,
)
from shared.aggregate import Aggregate


class Status(enum.StrEnum):
    queued = "queued"  # waiting for its first attempt, or for a retry after a temporary failure
    sent = "sent"
    bounced = "bounced"


class Outcome(enum.StrEnum):
    sent = "sent"
    temporary = "temporary"  # try again later
    permanent = "permanent"  # the address is refused: do not


@dataclass(frozen=True)
class Delivery:
    """What a channel says of one attempt. ``reason`` names the failure's kind and code, never the address."""

    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each retry: ``first``, doubling, for at most ``attempts`` attempts in all."""

    first: dt.timedelta = dt.timedelta(minutes=1)
    attempts: int = 6

    def retry_at(self, now: dt.datetime, attempt: int) -> dt.datetime:
        wait: dt.timedelta = self.first * 2 ** (attempt - 1)
        return now + wait


def notification_id(source_event_id: uuid.UUID, person_id: str, kind: MessageKind) -> uuid.UUID:
    """The same for the same source event, person and kind: a redelivered event queues nothing new."""
    return uuid.uuid5(source_event_id, f"notify:{person_id}:{kind.value}")


class Notification(Aggregate):
    stream_prefix = "notification"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.person_id = ""
        self.kind = MessageKind.offer_made
        self.path = "/"
        self.status = Status.queued
        self.attempts = 0

    @property
    def notification_id(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def waiting(self) -> bool:
        return self.exists and self.status is Status.queued

    def queue(self, person_id: str, kind: MessageKind, path: str, source_event_id: uuid.UUID,
              now: dt.datetime) -> None:
        if self.exists:
            return  # queued already: a redelivery or a second replica
        self.record(NotificationQueued(notification_id=self.notification_id, person_id=person_id, kind=kind,
                                       path=path, source_event_id=source_event_id, queued_at=now))

    def delivered(self, channel: Channel, delivery: Delivery, now: dt.datetime, backoff: Backoff) -> None:
        """Record one attempt's outcome."""
        attempt = self.attempts + 1
        if delivery.outcome is Outcome.sent:
            self.record(NotificationSent(notification_id=self.notification_id, channel=channel, attempt=attempt,
                                         sent_at=now))
        elif delivery.outcome is Outcome.temporary and attempt < backoff.attempts:
            self.record(NotificationFailed(notification_id=self.notification_id, channel=channel, attempt=attempt,
                                           reason=delivery.reason, retry_at=backoff.retry_at(now, attempt)))
        else:
            reason = delivery.reason if delivery.outcome is Outcome.permanent else (
                f"gave up after {attempt} attempts: {delivery.reason}")
            self.bounce(channel, reason, attempt)

    def bounce(self, channel: Channel | None, reason: str, attempt: int | None = None) -> None:
        self.record(NotificationBounced(notification_id=self.notification_id, person_id=self.person_id,
                                        channel=channel, attempt=self.attempts if attempt is None else attempt,
                                        reason=reason))

    def when_NotificationQueued(self, event: NotificationQueued) -> None:
        self.person_id, self.kind, self.path = event.person_id, event.kind, event.path

    def when_NotificationSent(self, event: NotificationSent) -> None:
        self.status, self.attempts = Status.sent, event.attempt

    def when_NotificationFailed(self, event: NotificationFailed) -> None:
        self.attempts = event.attempt

    def when_NotificationBounced(self, event: NotificationBounced) -> None:
        self.status, self.attempts = Status.bounced, event.attempt

"""The sending job: each queued message whose time has come, sent once, and how it went recorded.

Every message was recorded (``NotificationQueued``) before this job sees it, so a restart loses none. The job
takes each due message in a transaction that holds its row (another replica skips it), renders the text in
the person's language at sending time (so it never needs storing), sends it on the person's channel and
records the outcome in the same transaction: sent; failed for now, tried again after a doubling wait; or
bounced for good. The text is rendered from the kind and the link alone.

One window remains, as in any sending over SMTP: should the process die after the server took the message
and before the outcome commits, the message is sent again on the next run. Its ``Message-ID`` (and the SMS
``reference``) is the notification's id, so a receiving system that dedupes can drop the second copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING

from services.notifications.domain.contact import Contact
from services.notifications.domain.notification import Notification
from services.notifications.domain.templates import render
from shared.aggregate import Metadata
from shared.events import SYSTEM
from shared.eventstore.port import ConcurrencyConflict

if TYPE_CHECKING:
    from services.notifications.service import Deps

log = logging.getLogger(__name__)

NO_ADDRESS = "no address: the person's contact details were erased or lack the channel's address"


async def send_due(deps: Deps) -> int:
    """Send every due message; return how many attempts were recorded. Safe on every replica at once."""
    now = deps.clock.now()
    attempts = 0
    for notification in await deps.views.due(now):
        try:
            attempts += await send_one(deps, notification, now)
        except ConcurrencyConflict as conflict:  # recorded meanwhile by another replica: the next run sees it
            log.info("notification %s skipped this time: %s", notification, conflict)
    return attempts


async def send_one(deps: Deps, notification_id: uuid.UUID, now: dt.datetime) -> int:
    async with deps.uow.begin() as session:
        if not await deps.views.claim(notification_id, now, session.connection):
            return 0
        note = await session.load(Notification, str(notification_id))
        if not note.waiting:
            return 0
        contact = await session.load(Contact, note.person_id, must_exist=False)
        address, channel = contact.address(), contact.channel
        if address is None or channel is None:
            note.bounce(channel, NO_ADDRESS)
        else:
            message = render(note.kind, contact.language, deps.base_url + note.path)
            delivery = await deps.senders[channel].send(address, message, note.notification_id)
            note.delivered(channel, delivery, now, deps.backoff)
        # Named by the version it follows: two replicas recording the same attempt record it once.
        await session.save(note, Metadata(actor=SYSTEM, command_id=uuid.uuid5(notification_id,
                                                                              f"attempt-after-{note.version}")))
    return 1

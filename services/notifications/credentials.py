"""Orderers' credentials to search the bank: two weeks (a setting) before they end, the orderer is reminded,
once per end date, so that they can ask the coordinator to extend them. Kept from the registry's events."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from services.notifications.events import MessageKind
from services.notifications.reactions import remind
from services.notifications.views import Credentials
from services.registry import events as registry
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.notifications.service import Deps

ORDERER_PAGE = "/orderer"


async def on_credentials_granted(event: Envelope[registry.OrdererCredentialsGranted], ctx: EventContext,
                                 deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_credentials(Credentials(e.orderer_id, e.valid_until, event.event_id), event.version,
                                          ctx.session.connection)


async def on_credentials_revoked(event: Envelope[registry.OrdererCredentialsRevoked], ctx: EventContext,
                                 deps: Deps) -> None:
    await deps.views.revoke_credentials(event.payload.orderer_id, event.version, ctx.session.connection)


async def remind_expiring_credentials(deps: Deps) -> int:
    """Remind each orderer whose credentials end within the warning time, once per end date; return how many
    reminders were queued. Safe on every replica."""
    today = deps.clock.today()
    queued = 0
    for credentials in await deps.views.credentials_expiring(today, today + deps.credentials_warning):
        queued += await remind(deps, credentials.orderer_id, MessageKind.credentials_expiring, ORDERER_PAGE,
                               credentials.granted_event_id,
                               partial(deps.views.credentials_reminded, credentials.orderer_id))
    return queued

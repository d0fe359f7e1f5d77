"""The registry's reactions to other services' events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.orders import events as orders
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.registry.service import Deps


async def count_assignment(event: Envelope[orders.EngagementOpened], ctx: EventContext, deps: Deps) -> None:
    """An engagement opened for an expert counts among their recent assignments: the bank ranks those with fewer
    first among equals, so that work spreads."""
    await deps.views.project(event, ctx.session.connection)

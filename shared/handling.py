"""What a handler gets besides its message: who asks, and the transaction it works in.

Every service's handlers have one of three shapes, and the runtime calls them the same way:

    async def place_order(cmd: PlaceOrder, ctx: CommandContext, deps: Deps) -> dict: ...
    async def get_order(query: GetOrder, ctx: QueryContext, deps: Deps) -> dict: ...
    async def draft_contract(event: Envelope[EngagementOpened], ctx: EventContext, deps: Deps) -> None: ...

A command's and a consumed event's transaction is opened by the runtime (its reply, or the record that the
event was handled, commits in it too) and given as ``ctx.session``; a query reads through the views.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Forbidden
from shared.events import SYSTEM, Actor, DomainEvent, Role
from shared.unit_of_work import Session


@dataclass(frozen=True)
class QueryContext:
    actor: Actor
    # The caller's token as they sent it, verified (None for a request answered without one): to ask another
    # service in the caller's name, with the caller's rights there and no more. Never stored, never replied.
    token: str | None = field(default=None, kw_only=True, repr=False)

    def require_role(self, *roles: Role) -> None:
        require_role(self.actor, *roles)


@dataclass(frozen=True)
class CommandContext(QueryContext):
    session: Session
    command_id: uuid.UUID | None = None

    def meta(self, *, engagement_id: uuid.UUID | None = None, subject_id: str | None = None) -> Metadata:
        """Metadata of the events this command records."""
        return Metadata(actor=self.actor, command_id=self.command_id, engagement_id=engagement_id,
                        subject_id=subject_id)

    def new_id(self, kind: str) -> uuid.UUID:
        """A new id, the same each time the same command is retried (so a retry records nothing new)."""
        return uuid.uuid5(self.command_id, kind) if self.command_id else uuid.uuid4()


@dataclass(frozen=True)
class EventContext:
    session: Session
    cause: Envelope[Any]  # the consumed event as published

    def meta(self, *, engagement_id: uuid.UUID | None = None, subject_id: str | None = None,
             actor: Actor = SYSTEM) -> Metadata:
        """Metadata of the events recorded in reaction to the consumed event: their ids follow from it, so
        a redelivery records nothing new, and they carry its correlation."""
        cause = self.cause
        return Metadata(actor=actor, command_id=cause.event_id, causation_id=cause.event_id,
                        correlation_id=cause.correlation_id or cause.event_id,
                        engagement_id=engagement_id if engagement_id is not None else cause.engagement_id,
                        subject_id=subject_id)


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"the {actor.role.value} role may not do this; allowed: {allowed}")


CommandHandler = Callable[[Any, CommandContext, Any], Awaitable[Any]]
QueryHandler = Callable[[Any, QueryContext, Any], Awaitable[Any]]
EventHandler = Callable[[Envelope[Any], EventContext, Any], Awaitable[None]]

# A service's tables: request name -> (request model, handler); source service -> {event class: handler}.
Commands = Mapping[str, tuple[type[BaseModel], CommandHandler]]
Queries = Mapping[str, tuple[type[BaseModel], QueryHandler]]


class AnyEvent:
    """In a table of consumed events: every event of the source, handed over as published (sealed)."""


Consumed = Mapping[str, Mapping[type[DomainEvent] | type[AnyEvent], EventHandler]]

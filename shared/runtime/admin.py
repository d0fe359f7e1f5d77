"""What every service answers besides its own requests: its dead letters, replaying one, verifying its hash
chains (alone, and against the audit's copies of its stream heads), and a person's own events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from shared.commands import Command, Request
from shared.errors import NotFound
from shared.events import Role
from shared.eventstore.postgres import HeadClaim, PostgresEventStore
from shared.handling import CommandContext, Commands, Queries, QueryContext
from shared.messaging.consumer import DeadLetters, IdempotentConsumer
from shared.messaging.relay import OutboxRelay


@dataclass
class AdminDeps:
    service: str
    store: PostgresEventStore
    dead_letters: DeadLetters
    relay: OutboxRelay | None = None
    consumers: list[IdempotentConsumer] = field(default_factory=list)


class ListDeadLetters(Request):
    pass


class ReplayDeadLetter(Command):
    dead_letter_id: int = Field(ge=1, le=2**62)


class Verify(Request):
    pass


class ListParkedEvents(Request):
    pass


class RepublishParkedEvent(Command):
    event_id: uuid.UUID


class MyEvents(Request):
    pass


class StreamHead(BaseModel):
    version: int = Field(gt=0, le=2**31)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    prev_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    position: int | None = Field(None, ge=0, le=2**62)


class CheckHeads(Request):
    against: str = Field("the audit's copies", max_length=200)  # what the heads come from, for the report
    heads: dict[Annotated[str, StringConstraints(max_length=300)], StreamHead] = Field(max_length=100_000)


async def dead_letters(request: ListDeadLetters, ctx: QueryContext, deps: AdminDeps) -> list[dict[str, Any]]:
    """List the messages this service could not handle, with their errors."""
    ctx.require_role(Role.coordinator, Role.auditor, Role.system)
    return await deps.dead_letters.listing()


async def replay_dead_letter(cmd: ReplayDeadLetter, ctx: CommandContext, deps: AdminDeps) -> dict[str, Any]:
    """Run a dead-lettered message through its consumer again."""
    ctx.require_role(Role.coordinator, Role.system)
    for consumer in deps.consumers:
        if await consumer.replay(cmd.dead_letter_id):
            return {"replayed": cmd.dead_letter_id}
    raise NotFound(f"no dead letter {cmd.dead_letter_id} waiting for replay in {deps.service}")


async def parked_events(request: ListParkedEvents, ctx: QueryContext, deps: AdminDeps) -> list[dict[str, Any]]:
    """The events the relay set aside because the bus kept refusing them; each is still in the store."""
    ctx.require_role(Role.coordinator, Role.auditor, Role.system)
    return await deps.relay.parked.listing() if deps.relay else []


async def republish_parked_event(cmd: RepublishParkedEvent, ctx: CommandContext, deps: AdminDeps) -> dict[str, Any]:
    """Publish a parked event again, once what made the bus refuse it is mended."""
    ctx.require_role(Role.coordinator, Role.system)
    if deps.relay is None or not await deps.relay.republish(cmd.event_id):
        raise NotFound(f"no parked event {cmd.event_id} waits in {deps.service}")
    return {"republished": str(cmd.event_id)}


async def verify(request: Verify, ctx: QueryContext, deps: AdminDeps) -> dict[str, Any]:
    """Recompute this service's hash chains and report each break."""
    ctx.require_role(Role.auditor, Role.coordinator, Role.system)
    report = await deps.store.verify()
    return {"store": report.store, "events_checked": report.events_checked,
            "streams_checked": report.streams_checked, "intact": report.intact,
            "breaks": [b.__dict__ for b in report.breaks]}


async def check_heads(request: CheckHeads, ctx: QueryContext, deps: AdminDeps) -> dict[str, Any]:
    """Compare the audit's copies of this service's stream heads with the store: names a removed last
    event or a rewritten chain, which the store's own chains cannot show."""
    ctx.require_role(Role.auditor, Role.coordinator, Role.system)
    heads = {stream: HeadClaim(head.version, bytes.fromhex(head.hash),
                               bytes.fromhex(head.prev_hash) if head.prev_hash else None, head.position)
             for stream, head in request.heads.items()}
    breaks = await deps.store.check_heads(heads)
    return {"store": f"{deps.service} against {request.against}", "streams_checked": len(heads),
            "intact": not breaks, "breaks": [b.__dict__ for b in breaks]}


async def my_events(request: MyEvents, ctx: QueryContext, deps: AdminDeps) -> list[dict[str, Any]]:
    """Every event this service recorded with personal data about the caller (sealed with their own key), opened:
    their right of access to the history itself, not only to what the views show now. Fields another person's
    key seals are in that person's events, never in these; after the caller's erasure their fields read None."""
    ctx.require_role(Role.expert, Role.orderer, Role.organization_contact, Role.coordinator, Role.auditor)
    return [{"event_type": event.event_type, "recorded_at": event.recorded_at.isoformat(),
             "stream_id": event.stream_id, "data": event.payload.model_dump(mode="json"),
             "erased": list(event.erased_fields)} for event in await deps.store.read_subject(ctx.actor.id)]


COMMANDS: Commands = {
    "replay_dead_letter": (ReplayDeadLetter, replay_dead_letter),
    "republish_parked_event": (RepublishParkedEvent, republish_parked_event),
}
QUERIES: Queries = {
    "parked_events": (ListParkedEvents, parked_events),
    "dead_letters": (ListDeadLetters, dead_letters),
    "verify": (Verify, verify),
    "check_heads": (CheckHeads, check_heads),
    "my_events": (MyEvents, my_events),
}

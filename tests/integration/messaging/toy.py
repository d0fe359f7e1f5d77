"""Two small services made for the messaging tests: ``alpha`` records ``AlphaNoted`` events through a command;
``beta`` consumes them into a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import nats
from pydantic import Field

from shared.aggregate import Aggregate
from shared.commands import Command
from shared.definition import ServiceDefinition, no_views
from shared.envelope import Envelope
from shared.events import DomainEvent, Role
from shared.handling import CommandContext, EventContext
from shared.identity import Capacity
from shared.messaging.relay import OutboxRelay
from shared.settings import Settings
from tests.conftest import service_settings

COORDINATOR = {"id": "c1", "role": "coordinator"}
CAPACITY = Capacity(id="c1", role=Role.coordinator)
BETA_SQL = "CREATE TABLE IF NOT EXISTS {schema}.seen (event_id uuid PRIMARY KEY, n integer NOT NULL, handled_by text)"


class AlphaNoted(DomainEvent):
    n: int


class Note(Aggregate):
    stream_prefix = "note"


class TakeNote(Command):
    note_id: str = Field(min_length=1)
    n: int = Field(ge=0, le=1000)


@dataclass
class Deps:
    uow: Any
    poison: Poison | None = None
    replica: str = ""


async def take_note(cmd: TakeNote, ctx: CommandContext, deps: Deps) -> dict:
    """Record a note (coordinator)."""
    ctx.require_role(Role.coordinator)
    if cmd.n == 999:
        raise RuntimeError("secret internal detail")
    note = await ctx.session.load(Note, cmd.note_id, must_exist=False)
    note.record(AlphaNoted(n=cmd.n))
    await ctx.session.save(note, ctx.meta())
    return {"note_id": cmd.note_id, "version": note.version}


def alpha_definition() -> ServiceDefinition:
    return ServiceDefinition(name="alpha", description="takes notes", events=(AlphaNoted,), views=no_views,
                             compose=lambda uow, views, **_: Deps(uow),
                             commands={"take_note": (TakeNote, take_note)})


class Poison:
    """Makes beta fail on n == 13 until cured."""

    def __init__(self) -> None:
        self.cured = False


async def on_noted(event: Envelope[AlphaNoted], ctx: EventContext, deps: Deps) -> None:
    assert deps.poison is not None
    if event.payload.n == 13 and not deps.poison.cured:
        raise ValueError("thirteen is unlucky")
    await ctx.session.connection.execute(
        "INSERT INTO beta.seen (event_id, n, handled_by) VALUES ($1, $2, $3)",
        event.event_id, event.payload.n, deps.replica,
    )


def beta_definition(poison: Poison, replica: str = "beta-1") -> ServiceDefinition:
    return ServiceDefinition(name="beta", description="counts notes", events=(), views=no_views,
                             compose=lambda uow, views, **_: Deps(uow, poison, replica),
                             consumes={"alpha": {AlphaNoted: on_noted}}, sql=(BETA_SQL,))





def settings_for(servers, dsns, name: str) -> Settings:
    return service_settings(servers.nats_url, dsns[name], name)








async def stream_messages(nc: nats.NATS, stream: str) -> list:
    js = nc.jetstream()
    info = await js.stream_info(stream)
    return (
        [await js.get_msg(stream, seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)]
        if info.state.messages
        else []
    )


async def stream_count(js) -> int:
    try:
        return (await js.stream_info("KOKEMUS_ALPHA")).state.messages
    except Exception:  # noqa: BLE001 - while reconnecting
        return -1


async def relay_failing(relay: OutboxRelay) -> bool:
    return relay.failing_since is not None


# -- consumers -----------------------------------------------------------------------------------------

async def seen_rows(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT event_id, n, handled_by FROM beta.seen ORDER BY n")
    finally:
        await conn.close()

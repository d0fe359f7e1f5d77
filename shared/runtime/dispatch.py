"""Running a request: its context, a command's transaction, and a command's stored reply.

A command that names a ``command_id`` is answered once: its reply is stored in the command's own
transaction, and the same command sent again (after a lost reply) gets that reply and records nothing new.

A command that loses a race for an aggregate's version (another command or a consumed event recorded on the
same stream meanwhile) is run again from the start, in a new transaction, against what is now recorded: it was
rolled back whole, so running it again doubles nothing, and its rules are checked against the new state. Only
after ``COMMAND_ATTEMPTS`` lost races is the caller told to try again.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel

from shared.events import Actor
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, CommandHandler, QueryContext, QueryHandler
from shared.messaging.rpc import ok
from shared.unit_of_work import UnitOfWork

COMMAND_ATTEMPTS = 3


class CommandReplies:
    """Stored replies of commands, by command id, in the service's schema."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    async def stored(self, connection: Any, command_id: uuid.UUID) -> dict[str, Any] | None:
        # The same command arriving twice at once (a retry racing the original) waits for the first.
        await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(command_id))
        reply = await connection.fetchval(
            f"SELECT reply FROM {self.schema}.command_replies WHERE command_id = $1", command_id)
        return None if reply is None else json.loads(reply)

    async def keep(self, connection: Any, command_id: uuid.UUID, subject: str, reply: dict[str, Any]) -> None:
        await connection.execute(
            f"INSERT INTO {self.schema}.command_replies (command_id, subject, reply) VALUES ($1, $2, $3::jsonb)",
            command_id, subject, json.dumps(reply, default=str),
        )


class Dispatcher:
    """Runs a service's handlers with their contexts; ``replies`` is None in memory (no stored replies)."""

    def __init__(self, uow: UnitOfWork, deps: Any, replies: CommandReplies | None = None) -> None:
        self.uow = uow
        self.deps = deps
        self.replies = replies

    async def command(self, name: str, handler: CommandHandler, request: BaseModel, actor: Actor,
                      token: str | None = None) -> dict[str, Any]:
        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            try:
                return await self._command(name, handler, request, actor, token)
            except ConcurrencyConflict:
                if attempt == COMMAND_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _command(self, name: str, handler: CommandHandler, request: BaseModel, actor: Actor,
                       token: str | None) -> dict[str, Any]:
        command_id: uuid.UUID | None = getattr(request, "command_id", None)
        async with self.uow.begin() as session:
            remembered = self.replies is not None and command_id is not None and session.connection is not None
            if remembered:
                stored = await self.replies.stored(session.connection, command_id)  # type: ignore[union-attr,arg-type]
                if stored is not None:
                    return stored
            reply = ok(await handler(request, CommandContext(actor, session, command_id, token=token), self.deps))
            if remembered:
                await self.replies.keep(session.connection, command_id, name, reply)  # type: ignore[union-attr,arg-type]
        return reply

    async def query(self, handler: QueryHandler, request: BaseModel, actor: Actor,
                    token: str | None = None) -> dict[str, Any]:
        return ok(await handler(request, QueryContext(actor, token=token), self.deps))

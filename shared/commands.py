"""The base of every command and query a service answers over NATS.

A request carries only what it asks: who asks is the caller's identity, which the runtime puts in the
handler's context. A command may carry a ``command_id``: the same command sent again (after a time-out,
say) records nothing new and gets the first reply.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(Request):
    command_id: uuid.UUID | None = None

"""The base of every command and query a service answers over NATS.

Every request names its actor (who, in which role, for which organization); the service checks the role.
A client may give a ``command_id``: the same command sent again (after a time-out, say) records nothing new.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict

from shared.errors import Forbidden
from shared.events import Actor, Role


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor


class Command(Request):
    command_id: uuid.UUID | None = None


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"the {actor.role.value} role may not do this; allowed: {allowed}")

"""Who a person is in the system's records: the registry answers, by the address they sign in with.

The identity service asks the registry over NATS with an identity of its own (the ``system`` role), each time
it makes a token, so a role the registry takes away is gone from the next token.
"""

from __future__ import annotations

from typing import Protocol

from shared.events import Role
from shared.identity import Capacity, TokenIssuer
from shared.messaging.rpc import Requester
from shared.messaging.subjects import query_subject

SELF = Capacity(role=Role.system, id="identity")


class Directory(Protocol):
    async def capacities(self, email: str) -> list[Capacity]:
        """The roles the registry's records give whoever signs in with ``email``."""
        ...


class RegistryDirectory:
    def __init__(self, requester: Requester, issuer: TokenIssuer) -> None:
        self.requester = requester
        self.issuer = issuer

    async def capacities(self, email: str) -> list[Capacity]:
        token, _ = self.issuer.issue("service:identity", SELF, [SELF])
        found = await self.requester(query_subject("registry", "whois"), {"email": email}, token=token)
        return [Capacity.model_validate(capacity) for capacity in found]


class InMemoryDirectory:
    """For unit tests: the roles by address, as the test sets them."""

    def __init__(self) -> None:
        self.people: dict[str, list[Capacity]] = {}

    async def capacities(self, email: str) -> list[Capacity]:
        return list(self.people.get(email.strip().lower(), []))

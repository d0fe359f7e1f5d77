"""How a service describes itself: everything the runtime needs to run it, in one declarative value.

A service's ``service.py`` builds one :class:`ServiceDefinition`: the events it publishes, the commands and
queries it answers, the events it consumes from which source, its scheduled jobs, its views (the read side
kept from events), and its composition root, the one function that turns adapters into the ``Deps`` its
handlers get. The runtime passes real adapters; unit tests call the same ``compose`` with in-memory ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

from shared.clock import Clock
from shared.envelope import RecordedEvent
from shared.events import DomainEvent
from shared.handling import Commands, Consumed, Queries
from shared.messaging.rpc import Requester
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork


class Views(Protocol):
    """A service's read side. ``project`` keeps it from the service's own events, in the recording
    transaction (``connection`` is None in memory)."""

    async def project(self, event: RecordedEvent, connection: Any) -> None: ...


D = TypeVar("D")
V = TypeVar("V", bound=Views)


@dataclass
class ServiceDeps(Generic[V]):
    """What every service's handlers get: its unit of work, its views and the clock. A service that needs
    more (a setting of its own) subclasses this."""

    uow: UnitOfWork
    views: V
    clock: Clock = field(default_factory=Clock)


def compose(uow: UnitOfWork, views: V, settings: Settings | None = None, requester: Requester | None = None,
            clock: Clock | None = None) -> ServiceDeps[V]:
    """The composition root of a service that needs no more than :class:`ServiceDeps`. The runtime calls every
    service's with keywords: the unit of work, the views, the settings, and a requester for asking other
    services (over the service's own NATS connection)."""
    return ServiceDeps(uow=uow, views=views, clock=clock or Clock())


@dataclass(frozen=True)
class Job:
    """Work done on a schedule (reminders, expiries), or once at start when ``every_seconds`` is None.

    Every replica runs it, so a job must be safe to run concurrently: it records through the event store,
    whose version check lets one replica win; a failed run is logged and tried again on the next tick."""

    name: str
    run: Callable[[Any], Awaitable[Any]]  # gets the service's Deps
    every_seconds: float | None = None


@dataclass(frozen=True)
class ServiceDefinition(Generic[D, V]):
    name: str
    description: str
    events: tuple[type[DomainEvent], ...]
    views: Callable[[asyncpg.Pool | None, str], V]  # the PostgreSQL views, in the service's schema
    compose: Callable[..., D]  # the composition root: (uow, views, settings=, requester=) -> Deps
    commands: Commands = field(default_factory=dict)
    queries: Queries = field(default_factory=dict)
    consumes: Consumed = field(default_factory=dict)  # source service -> {event class: handler}
    jobs: tuple[Job, ...] = ()
    sql: tuple[str, ...] = ()  # the views' tables
    public: frozenset[str] = frozenset()  # requests answered without an identity (signing in is one)
    # Requests it sends to other services ("registry.query.whois"): documented in its AsyncAPI document, and
    # what its NATS user must be allowed to send (deploy/nats/permissions.yaml).
    calls: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.consumes)


def no_views(pool: asyncpg.Pool | None, schema: str) -> NoViews:
    return NoViews()


class NoViews:
    """For a service that keeps no read tables of its own events."""

    async def project(self, event: RecordedEvent, connection: Any) -> None:
        return None


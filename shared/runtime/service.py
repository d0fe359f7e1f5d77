"""One service process: the composition every service shares.

From a :class:`~shared.definition.ServiceDefinition` the runtime makes the rest: the database pool, the
event store, the views, the unit of work and the service's ``Deps`` (through its own composition root), one
NATS connection (FastStream's broker) that serves its requests, consumes its sources, publishes its events
through the outbox relay and keeps its stream; its jobs; health and metrics; and a graceful stop on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from typing import Any

import asyncpg
from faststream.nats import NatsBroker, NatsRouter
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from pydantic import BaseModel

from shared.database import create_pool, migrate
from shared.definition import Job, ServiceDefinition
from shared.envelope import published_message
from shared.events import Actor
from shared.eventstore.keyring import KeyRing, KeyRingError, rewrap_subject_keys
from shared.eventstore.postgres import PostgresEventStore
from shared.identity import TokenVerifier, public_keys
from shared.messaging.consumer import DeadLetters, IdempotentConsumer, KeyedLocks, subscribe
from shared.messaging.relay import OutboxRelay
from shared.messaging.rpc import BrokerRequester, authentication, error_middleware, serve_requests
from shared.messaging.streams import ensure_stream, stream_exists, wait_for_stream
from shared.messaging.subjects import PREFIX, command_subject, event_subject, query_subject
from shared.runtime import admin
from shared.runtime.dispatch import CommandReplies, Dispatcher
from shared.runtime.health import HealthServer, serve_health
from shared.runtime.telemetry import setup_tracing
from shared.settings import Settings, SettingsError
from shared.unit_of_work import PostgresUnitOfWork

log = logging.getLogger(__name__)


def make_broker(settings: Settings, service: str, tracer_provider: Any = None) -> NatsBroker:
    return NatsBroker(
        **settings.nats_broker_options(),
        name=f"kokemus-{service}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=settings.shutdown_grace_seconds,
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        log_level=logging.DEBUG,  # FastStream's per-message lines; the process's level decides what shows
        description=f"kokemus {service} service",
    )


def verifier_of(settings: Settings) -> TokenVerifier | None:
    if settings.identity_jwks is None:
        return None
    return TokenVerifier(public_keys(settings.identity_jwks), audience=settings.identity_audience,
                         issuer=settings.identity_issuer, accept_development=settings.development_sign_in)


def attach_requests(broker: NatsBroker, definition: ServiceDefinition[Any, Any], dispatcher: Dispatcher,
                    admin_dispatcher: Dispatcher, verifier: TokenVerifier | None) -> None:
    """Every command and query of the service and of the kernel's admin table, on one router whose
    middlewares check the caller's identity first and turn every failure into the documented error reply."""
    public = frozenset(subject for kind, table in (("cmd", definition.commands), ("query", definition.queries))
                       for name in table if name in definition.public
                       for subject in [command_subject(definition.name, name) if kind == "cmd"
                                       else query_subject(definition.name, name)])
    router = NatsRouter(middlewares=[error_middleware(), authentication(verifier, public)])
    tables: list[tuple[str, Mapping[str, tuple[type[BaseModel], Any]], Dispatcher]] = [
        ("cmd", definition.commands, dispatcher), ("query", definition.queries, dispatcher),
        ("cmd", admin.COMMANDS, admin_dispatcher), ("query", admin.QUERIES, admin_dispatcher)]
    for kind, table, run in tables:
        serve_requests(router, definition.name, kind, dict(table), _server(kind, dict(table), run))
    broker.include_router(router)


def _server(kind: str, table: dict[str, tuple[type[BaseModel], Any]], dispatcher: Dispatcher) -> Any:
    async def serve(name: str, request: BaseModel, actor: Actor, token: str | None) -> dict[str, Any]:
        handler = table[name][1]
        if kind == "cmd":
            return await dispatcher.command(name, handler, request, actor, token)
        return await dispatcher.query(handler, request, actor, token)

    return serve


def document_events(broker: NatsBroker, definition: ServiceDefinition[Any, Any]) -> None:
    """Each published event as a publication on its subject, in the form it really travels; and each request
    the service sends to another."""
    for call in definition.calls:
        subject = f"{PREFIX}.{call}"
        broker.publisher(subject, title=subject, description=f"a request to the {call.split('.')[0]} service")
    for event in definition.events:
        subject = event_subject(definition.name, event.event_type())
        broker.publisher(
            subject,
            title=subject,
            schema=published_message(event),
            description=(event.__doc__ or f"{event.__name__} (schema version {event.schema_version})").strip(),
        )


def wire_offline(definition: ServiceDefinition[Any, Any], settings: Settings | None = None) -> NatsBroker:
    """The broker with every endpoint attached and nothing connected: for the AsyncAPI document."""
    settings = settings or Settings()
    broker = make_broker(settings, definition.name)
    views = definition.views(None, definition.name)
    store = PostgresEventStore(None, definition.name, definition.name, definition.events)
    uow = PostgresUnitOfWork(store, None, views.project)
    deps = definition.compose(uow, views, settings=settings, requester=BrokerRequester(broker))
    dead_letters = DeadLetters(None, definition.name)
    attach_requests(broker, definition, Dispatcher(uow, deps),
                    Dispatcher(uow, admin.AdminDeps(definition.name, store, dead_letters)), verifier_of(settings))
    for source, table in definition.consumes.items():
        consumer = IdempotentConsumer(f"{definition.name}-from-{source}", definition.name, table, uow, deps,
                                      dead_letters)
        subscribe(broker, definition.name, source, consumer, inbox_prefix=settings.nats_inbox_prefix())
    document_events(broker, definition)
    return broker


class ServiceRuntime:
    def __init__(self, definition: ServiceDefinition[Any, Any], settings: Settings) -> None:
        self.definition = definition
        self.settings = settings
        self.name = definition.name
        self.schema = settings.schema_for(definition.name)
        self.pool: asyncpg.Pool | None = None
        self.store: PostgresEventStore | None = None
        self.broker: NatsBroker | None = None
        self.relay: OutboxRelay | None = None
        self.deps: Any = None
        self.consumers: list[IdempotentConsumer] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._jobs: list[asyncio.Task[Any]] = []
        self._health: HealthServer | None = None

    async def start(self, *, run_migrations: bool = False, serve_http: bool = True) -> None:
        """Start everything; if a part fails to start, stop what did and raise."""
        try:
            if serve_http:  # first: a taken port fails before anything else has started
                self._health = await serve_health(self.settings.http_host, self.settings.http_port, self.readiness)
            await self._start(run_migrations)
        except BaseException:
            await self.stop()
            raise
        log.info("%s ready", self.name)

    async def _start(self, run_migrations: bool) -> None:
        s, definition = self.settings, self.definition
        if s.identity_jwks is None:
            raise SettingsError(
                "KOKEMUS_IDENTITY_JWKS is not set: without the published keys a service cannot "
                "check who is calling (give a file of the identity service's public JWK set, or the JSON)"
            )
        s.require_key_ring()
        provider = setup_tracing(self.name)
        self.pool = pool = await create_pool(s.dsn(), max_size=s.db_pool_size)
        if run_migrations:
            async with pool.acquire() as conn:
                await migrate(conn, self.schema, definition.sql, runtime_role=s.db_runtime_role)
        try:
            key_ring = KeyRing.parse(s.key_encryption_keys)
            rewrapped = await rewrap_subject_keys(pool, self.schema, key_ring)
        except KeyRingError as error:
            raise SettingsError(str(error)) from None
        if rewrapped:
            log.info("%s wrapped %d data subjects' keys with key %s", self.name, rewrapped, key_ring.current)
        self.store = store = PostgresEventStore(pool, self.schema, self.name, definition.events,
                                                head_cache=s.event_head_cache, key_ring=key_ring)
        views = definition.views(pool, self.schema)
        uow = PostgresUnitOfWork(store, pool, views.project)
        self.broker = broker = make_broker(s, self.name, provider)
        self.deps = definition.compose(uow, views, settings=s, requester=BrokerRequester(broker))
        dead_letters = DeadLetters(pool, self.schema)
        await broker.connect()
        js = broker.connection.jetstream()
        await ensure_stream(js, self.name, s.stream_replicas, s.duplicate_window_seconds)
        # A source not started yet is consumed once its stream exists (its durable consumer then delivers every
        # event from the first): waiting for it here would keep this service from answering meanwhile.
        missing = {source for source in definition.sources if not await stream_exists(js, source)}
        later: list[tuple[str, IdempotentConsumer]] = []
        self.relay = OutboxRelay(store, broker, poll_seconds=s.relay_poll_seconds)
        admin_deps = admin.AdminDeps(self.name, store, dead_letters, self.relay, self.consumers)
        attach_requests(broker, definition, Dispatcher(uow, self.deps, CommandReplies(self.schema)),
                        Dispatcher(uow, admin_deps, CommandReplies(self.schema)), verifier_of(s))
        ordering = KeyedLocks()  # one engagement's events one after another, from whichever source
        for source, table in definition.consumes.items():
            consumer = IdempotentConsumer(
                f"{self.name}-from-{source}",
                self.schema,
                table,
                uow,
                self.deps,
                dead_letters,
                max_deliveries=s.max_deliveries,
                backoff_seconds=s.retry_backoff_seconds,
                ordering=ordering,
            )
            self.consumers.append(consumer)
            if source in missing:
                later.append((source, consumer))
            else:
                subscribe(broker, self.name, source, consumer, inbox_prefix=s.nats_inbox_prefix())
        document_events(broker, definition)
        await broker.start()
        # The subscriptions are at the server once a ping comes back: a request sent on another connection
        # as soon as start() returns finds the service answering, not "no responders".
        await broker.connection.flush(timeout=10)

        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
        self._jobs = [asyncio.create_task(self._run_job(job), name=f"{self.name}-{job.name}")
                      for job in definition.jobs]
        self._jobs += [asyncio.create_task(self._consume_once_created(js, source, consumer),
                                           name=f"{self.name}-waits-for-{source}") for source, consumer in later]

    async def _consume_once_created(self, js: Any, source: str, consumer: IdempotentConsumer) -> None:
        log.info("the %s service has no stream yet: %s consumes its events once it has", source, self.name)
        await wait_for_stream(js, source)
        assert self.broker is not None
        for subscriber in subscribe(self.broker, self.name, source, consumer,
                                    inbox_prefix=self.settings.nats_inbox_prefix()):
            await subscriber.start()
        log.info("%s consumes the events of %s", self.name, source)

    async def _run_job(self, job: Job) -> None:
        while True:
            try:
                await job.run(self.deps)
            except Exception:
                log.exception("job %s of %s failed", job.name, self.name)
            if job.every_seconds is None:
                return
            await asyncio.sleep(job.every_seconds)

    async def readiness(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.pool is None or self.broker is None:
            return {"service": "starting"}
        try:
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 2)
        except Exception as error:  # noqa: BLE001
            problems["postgresql"] = f"does not answer: {error}"
        if not await self._nats_answers():
            problems["nats"] = "does not answer"
        if self.relay is not None and self.relay.stuck():
            problems["relay"] = "publishing has failed for over 30 s"
        elif self.relay is not None and self.relay.parked.waiting:
            problems["relay"] = (f"{self.relay.parked.waiting} event(s) parked: the bus refused them; see "
                                 f"`kokemus relay parked {self.name}`")
        return problems

    async def _nats_answers(self) -> bool:
        """Connected, and the server answers a ping: a frozen server keeps its connections open."""
        try:
            connection = self.broker.connection if self.broker is not None else None
            if connection is None or not connection.is_connected:
                return False
            await connection.flush(timeout=2)
            return True
        except Exception:  # noqa: BLE001 - no connection yet, or no answer in time
            return False

    async def stop(self) -> None:
        """Stop taking work, let in-flight messages finish (or go back to JetStream), flush the relay, exit."""
        # One grace budget for everything, so the process is gone within KOKEMUS_SHUTDOWN_GRACE_SECONDS.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.shutdown_grace_seconds
        for job in self._jobs:
            job.cancel()
        if self.broker is not None:
            for subscriber in self.broker.subscribers:  # stop pulling; in-flight handlers finish
                await subscriber.stop()
        if self.relay is not None:
            self.relay.stop()
        for task in self._tasks:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, max(0.1, deadline - loop.time()))
        if self.broker is not None:
            await self.broker.stop()
        if self._health is not None:
            await self._health.stop()
        if self.pool is not None:
            await self.pool.close()

    async def run_until_signalled(self, *, run_migrations: bool = False) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start(run_migrations=run_migrations)
        await stop.wait()
        log.info("%s stopping", self.name)
        await self.stop()

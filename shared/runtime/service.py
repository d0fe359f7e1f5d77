"""One service process: the composition every service shares.

A service describes itself with a :class:`ServiceDefinition` (its name, its tables, the streams it consumes
and a ``wire`` function that attaches its endpoints and consumers); :class:`ServiceRuntime` does the rest:
database pool, event store, NATS, its stream, the outbox relay, the consumers, health and metrics, and a
graceful stop on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import asyncpg
import nats
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.security import SASLPlaintext
from pydantic import BaseModel, Field

from shared.database import create_pool, migrate
from shared.errors import Forbidden, NotFound
from shared.events import Actor, Role
from shared.eventstore.postgres import PostgresEventStore
from shared.messaging import consumer as consuming
from shared.messaging.catalogue import event_classes, message_model
from shared.messaging.relay import OutboxRelay
from shared.messaging.subjects import event_subject
from shared.messaging.rpc import CommandReplies, endpoint, error_middleware
from shared.messaging.streams import ensure_stream, wait_for_streams
from shared.runtime.health import serve_health
from shared.runtime.telemetry import setup_tracing
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Wiring:
    """What a service's ``wire`` function gets: the adapters, and the means to attach its entrypoints."""

    service: str
    settings: Settings
    broker: NatsBroker
    pool: asyncpg.Pool | None
    store: PostgresEventStore | None
    schema: str
    consumers: dict[str, consuming.IdempotentConsumer] = field(default_factory=dict)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def at_start(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` once when the service has started (seeding defaults, say); failures are logged."""

        async def once() -> None:
            try:
                await job()
            except Exception:  # noqa: BLE001
                log.exception("start-up job %s failed", getattr(job, "__name__", job))

        self.background.append(once)

    def every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` every ``seconds`` while the service runs (reminders, expiries). Every replica runs it,
        so a job must be safe to run concurrently: it records through the event store, whose version check
        lets one replica win and the other get a conflict, which is logged and retried on the next tick."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception:  # noqa: BLE001 - a failed tick is logged and tried again on the next one
                    log.exception("background job %s failed", getattr(job, "__name__", job))

        self.background.append(loop)

    def command(self, name: str, request: type[BaseModel], handler: Callable[[Any], Awaitable[Any]]) -> None:
        replies = CommandReplies(self.pool, self.schema) if self.pool is not None else None
        endpoint(self.broker, self.service, "cmd", name, request, handler, replies)

    def query(self, name: str, request: type[BaseModel], handler: Callable[[Any], Awaitable[Any]]) -> None:
        endpoint(self.broker, self.service, "query", name, request, handler)

    def serve(self, deps: Any, *, commands: Mapping[str, tuple[type[BaseModel], Any]] = {},  # noqa: B006
              queries: Mapping[str, tuple[type[BaseModel], Any]] = {},  # noqa: B006
              event_handlers: Mapping[str, Mapping[str, Any]] = {}) -> None:  # noqa: B006
        """Attach a service's handler tables, each handler bound to the service's ``deps``:
        ``commands`` and ``queries`` map a name to (request model, handler); ``event_handlers`` map a source
        service to {event type: handler}."""
        for name, (request, handler) in commands.items():
            self.command(name, request, partial(handler, deps=deps))
        for name, (request, handler) in queries.items():
            self.query(name, request, partial(handler, deps=deps))
        for source, handlers in event_handlers.items():
            self.consume(source, {event_type: partial(handler, deps=deps) for event_type, handler in handlers.items()})

    def publishes(self, events_module: Any) -> None:
        """Document each event of the service's public contract as a publication on its subject."""
        for event in event_classes(events_module):
            self.broker.publisher(
                event_subject(self.service, event.event_type()),
                title=event_subject(self.service, event.event_type()),
                description=(event.__doc__ or f"{event.__name__} (schema version {event.schema_version})").strip(),
                schema=message_model(event),
            )

    def consume(
        self,
        source: str,
        handlers: Mapping[str, consuming.EventHandler],
        *,
        handle_all: consuming.EventHandler | None = None,
    ) -> None:
        consumer = consuming.IdempotentConsumer(
            self.pool,  # type: ignore[arg-type]
            self.schema,
            f"{self.service}-from-{source}",
            handlers,
            max_deliveries=self.settings.max_deliveries,
            backoff_seconds=self.settings.retry_backoff_seconds,
            handle_all=handle_all,
        )
        self.consumers[source] = consumer
        consuming.subscribe(self.broker, self.service, source, consumer)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    wire: Callable[[Wiring], None]
    sql: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    description: str = ""


class AdminRequest(BaseModel):
    actor: Actor


class ReplayRequest(AdminRequest):
    dead_letter_id: int


class StreamHead(BaseModel):
    version: int = Field(gt=0)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class CheckHeadsRequest(AdminRequest):
    heads: dict[str, StreamHead] = Field(max_length=100_000)


def wire_admin(w: Wiring) -> None:
    """Endpoints every service has: its dead letters, replaying one, and verifying its hash chains."""

    def allow(actor: Actor, *roles: Role) -> None:
        if actor.role not in roles:
            raise Forbidden(f"the {actor.role.value} role may not do this; allowed: {', '.join(r.value for r in roles)}")

    async def dead_letters(request: AdminRequest) -> list[dict[str, Any]]:
        """List the messages this service could not handle, with their errors."""
        allow(request.actor, Role.coordinator, Role.auditor, Role.system)
        rows = await w.pool.fetch(  # type: ignore[union-attr]
            f"""SELECT id, consumer, subject, event_id, error, attempts, failed_at, replayed_at
                FROM {w.schema}.dead_letters ORDER BY id"""
        )
        return [{**dict(row), "event_id": str(row["event_id"]) if row["event_id"] else None,
                 "failed_at": row["failed_at"].isoformat(),
                 "replayed_at": row["replayed_at"].isoformat() if row["replayed_at"] else None} for row in rows]

    async def replay(request: ReplayRequest) -> dict[str, Any]:
        """Run a dead-lettered message through its consumer again."""
        allow(request.actor, Role.coordinator, Role.system)
        for consumer in w.consumers.values():
            if await consumer.replay(request.dead_letter_id):
                return {"replayed": request.dead_letter_id}
        raise NotFound(f"no dead letter {request.dead_letter_id} waiting for replay in {w.service}")

    async def verify(request: AdminRequest) -> dict[str, Any]:
        """Recompute this service's hash chains and report each break."""
        allow(request.actor, Role.auditor, Role.coordinator, Role.system)
        report = await w.store.verify()  # type: ignore[union-attr]
        return {"store": report.store, "events_checked": report.events_checked,
                "streams_checked": report.streams_checked, "intact": report.intact,
                "breaks": [b.__dict__ for b in report.breaks]}

    async def check_heads(request: CheckHeadsRequest) -> dict[str, Any]:
        """Compare the audit's copies of this service's stream heads with the store: names a removed last
        event or a rewritten chain, which the store's own chains cannot show."""
        allow(request.actor, Role.auditor, Role.coordinator, Role.system)
        heads = {stream: (head.version, bytes.fromhex(head.hash)) for stream, head in request.heads.items()}
        breaks = await w.store.check_heads(heads)  # type: ignore[union-attr]
        return {"store": f"{w.service} against the audit's copies", "events_checked": len(heads),
                "streams_checked": len(heads), "intact": not breaks, "breaks": [b.__dict__ for b in breaks]}

    w.query("dead_letters", AdminRequest, dead_letters)
    w.query("check_heads", CheckHeadsRequest, check_heads)
    w.command("replay_dead_letter", ReplayRequest, replay)
    w.query("verify", AdminRequest, verify)


def make_broker(settings: Settings, service: str, tracer_provider: Any = None) -> NatsBroker:
    security = None
    if settings.nats_user:
        security = SASLPlaintext(username=settings.nats_user, password=settings.nats_password or "")
    return NatsBroker(
        settings.nats_servers(),
        name=f"kokemus-{service}",
        security=security,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=settings.shutdown_grace_seconds,
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider), error_middleware()],
        log_level=logging.DEBUG,  # FastStream's per-message lines; the process's level decides what shows
        description=f"kokemus {service} service",
    )


def wire_offline(definition: ServiceDefinition, settings: Settings | None = None) -> Wiring:
    """The broker with every endpoint attached and nothing connected: for the AsyncAPI document."""
    settings = settings or Settings()
    broker = make_broker(settings, definition.name)
    wiring = Wiring(definition.name, settings, broker, None, None, settings.schema_for(definition.name))
    definition.wire(wiring)
    wire_admin(wiring)
    return wiring


class ServiceRuntime:
    def __init__(self, definition: ServiceDefinition, settings: Settings) -> None:
        self.definition = definition
        self.settings = settings
        self.name = definition.name
        self.schema = settings.schema_for(definition.name)
        self.pool: asyncpg.Pool | None = None
        self.store: PostgresEventStore | None = None
        self.broker: NatsBroker | None = None
        self.nc: nats.NATS | None = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task] = []
        self._health = None

    async def start(self, *, run_migrations: bool = False, serve_http: bool = True) -> None:
        provider = setup_tracing(self.name)
        s = self.settings
        self.pool = await create_pool(s.dsn(), max_size=s.db_pool_size)
        if run_migrations:
            async with self.pool.acquire() as conn:
                await migrate(conn, self.schema, self.definition.sql)
        self.store = PostgresEventStore(self.pool, self.schema, self.name)
        self.nc = await nats.connect(
            servers=s.nats_servers(), user=s.nats_user, password=s.nats_password,
            name=f"kokemus-{self.name}-relay", max_reconnect_attempts=-1, reconnect_time_wait=1,
        )
        js = self.nc.jetstream()
        await ensure_stream(js, self.name, s.stream_replicas, s.duplicate_window_seconds)
        await wait_for_streams(js, list(self.definition.consumes))
        self.broker = make_broker(s, self.name, provider)
        self.wiring = Wiring(self.name, s, self.broker, self.pool, self.store, self.schema)
        self.definition.wire(self.wiring)
        wire_admin(self.wiring)
        await self.broker.start()
        self.relay = OutboxRelay(self.store, js, poll_seconds=s.relay_poll_seconds)
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
        self._jobs = [asyncio.create_task(job(), name=f"{self.name}-job") for job in self.wiring.background]
        if serve_http:
            self._health = await serve_health(s.http_port, self.readiness)
        log.info("%s ready", self.name)

    async def readiness(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 2)  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001
            problems["postgresql"] = f"does not answer: {error}"
        if self.nc is None or not self.nc.is_connected:
            problems["nats"] = "not connected"
        if self.relay is not None and self.relay.stuck():
            problems["relay"] = "publishing has failed for over 30 s"
        return problems

    async def stop(self) -> None:
        """Stop taking work, let in-flight messages finish (or go back to JetStream), flush the relay, exit."""
        # One grace budget for everything, so the process is gone within KOKEMUS_SHUTDOWN_GRACE_SECONDS.
        deadline = asyncio.get_running_loop().time() + self.settings.shutdown_grace_seconds
        for job in getattr(self, "_jobs", []):
            job.cancel()
        if self.broker is not None:
            await self.broker.stop()  # stops pulling; waits (graceful_timeout) for in-flight handlers
        if self.relay is not None:
            self.relay.stop()
        for task in self._tasks:
            remaining = max(0.1, deadline - asyncio.get_running_loop().time())
            try:
                await asyncio.wait_for(task, remaining)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        if self._health is not None:
            self._health.should_exit = True
        if self.nc is not None:
            await self.nc.drain()
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

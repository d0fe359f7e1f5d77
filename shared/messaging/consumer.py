"""Idempotent JetStream consumers with retries and a dead-letter store.

Each consumer is a durable pull consumer on another service's stream with explicit acks. FastStream
decodes each message into the published :class:`~shared.envelope.Envelope`; the consumer looks its type up
in the service's table of consumed events (which names the event classes, so nothing depends on what was
imported) and opens it as that class. Then:

1. in one transaction, record (consumer, event id) as processed and run the handler: a redelivered message
   finds its record and changes nothing;
2. on any error (a message that does not decode included), ask for redelivery with exponential backoff;
   after ``max_deliveries`` attempts the message goes to the ``dead_letters`` table with its error, where
   ``kokemus dlq list`` shows it and ``kokemus dlq replay`` runs it again. It is acknowledged only once it
   is stored there.

A pulled batch is handled concurrently, but the messages of one engagement (or, without one, of one source
stream) one after another, in the order they arrive, across all the service's consumers (:class:`KeyedLocks`):
two events of one engagement handled at once would load the same aggregate, and one of them would fail on the
other's version and wait for its redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import asyncpg
from faststream import BaseMiddleware
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, NatsRouter, PullSub
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as JsAckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter
from pydantic import ValidationError

from shared.envelope import Published
from shared.events import DomainEvent
from shared.eventstore import codec
from shared.handling import AnyEvent, EventContext, EventHandler
from shared.messaging.subjects import durable_name, events_wildcard, stream_name
from shared.unit_of_work import PostgresUnitOfWork

log = logging.getLogger(__name__)

# FastStream 0.7 suppresses nats.errors.TimeoutError around its pull fetch, but nats-py 2.16 raises the builtin
# TimeoutError (that class's base) when a fetch finds nothing new: every quiet second then killed the pull
# task, which FastStream logged as an ERROR with a traceback and restarted after a pause. Suppressing the
# builtin covers both. https://github.com/nats-io/nats.py/blob/v2.16.0/nats/js/client.py (_fetch_n)
setattr(stream_pull_subscriber, "TimeoutError", TimeoutError)  # noqa: B010 - a patch, not a typed assignment

HANDLED = Counter("kokemus_consumer_messages_total", "Messages consumed", ["consumer", "outcome"])


class DeadLetters:
    """The messages a service's consumers gave up on, in its schema."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def keep(self, consumer: str, msg: Msg, error: BaseException, attempts: int) -> None:
        event_id = None
        try:
            event_id = json.loads(msg.data).get("event_id")
        except (ValueError, AttributeError):
            pass
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        await self.pool.execute(
            f"""INSERT INTO {self.schema}.dead_letters (consumer, subject, event_id, headers, body, error, attempts)
                VALUES ($1, $2, $3::uuid, $4::jsonb, $5, $6, $7)""",
            consumer, msg.subject, event_id, json.dumps(dict(msg.headers or {})),
            msg.data.decode(errors="replace"), detail, attempts,
        )
        log.error("%s dead-lettered %s after %d attempts: %s", consumer, msg.subject, attempts, detail)

    async def waiting(self, dead_letter_id: int, consumer: str) -> str | None:
        body: str | None = await self.pool.fetchval(
            f"SELECT body FROM {self.schema}.dead_letters WHERE id = $1 AND consumer = $2 AND replayed_at IS NULL",
            dead_letter_id, consumer,
        )
        return body

    async def mark_replayed(self, dead_letter_id: int) -> None:
        await self.pool.execute(f"UPDATE {self.schema}.dead_letters SET replayed_at = now() WHERE id = $1",
                                dead_letter_id)

    async def listing(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            f"""SELECT id, consumer, subject, event_id, error, attempts, failed_at, replayed_at
                FROM {self.schema}.dead_letters ORDER BY id"""
        )
        return [{**dict(row), "event_id": str(row["event_id"]) if row["event_id"] else None,
                 "failed_at": row["failed_at"].isoformat(),
                 "replayed_at": row["replayed_at"].isoformat() if row["replayed_at"] else None} for row in rows]


class KeyedLocks:
    """One lock per key, taken in the order asked for (asyncio's locks are fair), and forgotten once nobody holds
    or waits for it, so the table stays as small as what is in hand."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            _, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def ordering_key(envelope: Published) -> str:
    """What must be handled one after another: an engagement's events, or else one source stream's."""
    if envelope.engagement_id is not None:
        return f"engagement:{envelope.engagement_id}"
    return f"{envelope.service}:{envelope.stream_id}"


class IdempotentConsumer:
    def __init__(
        self,
        name: str,
        schema: str,
        table: Mapping[type[DomainEvent] | type[AnyEvent], EventHandler],
        uow: PostgresUnitOfWork,
        deps: Any,
        dead_letters: DeadLetters,
        *,
        max_deliveries: int = 5,
        backoff_seconds: float = 0.5,
        ordering: KeyedLocks | None = None,
    ) -> None:
        self.name = name
        self.schema = schema
        self.routes: dict[str, tuple[type[DomainEvent] | type[AnyEvent], EventHandler]] = {
            (cls.event_type() if issubclass(cls, DomainEvent) else "*"): (cls, handler)
            for cls, handler in table.items()
        }
        self.uow = uow
        self.deps = deps
        self.dead_letters = dead_letters
        self.max_deliveries = max_deliveries
        self.backoff_seconds = backoff_seconds
        self.ordering = ordering or KeyedLocks()  # shared by a service's consumers

    def wants(self, event_type: str) -> bool:
        return event_type in self.routes or "*" in self.routes

    async def process(self, envelope: Published) -> bool:
        """Handle one message exactly once; return False when it had been handled before (or is not wanted)."""
        route = self.routes.get(envelope.event_type) or self.routes.get("*")
        if route is None:
            return False
        cls, handler = route
        # Personal fields stay sealed here: they read as None (only their owner opens them).
        event = codec.open_as(envelope, cls, None) if issubclass(cls, DomainEvent) else envelope
        async with self.ordering.hold(ordering_key(envelope)), self.uow.begin() as session:
            first_time = await session.connection.fetchval(
                f"""INSERT INTO {self.schema}.processed_messages (consumer, event_id)
                    VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true""",
                self.name, envelope.event_id,
            )
            if not first_time:
                return False
            await handler(event, EventContext(session, envelope), self.deps)
        return True

    async def failed(self, msg: Msg, error: BaseException) -> None:
        """Retry with backoff, or keep the message among the dead letters once its attempts are used up."""
        attempt = msg.metadata.num_delivered if msg.metadata and msg.metadata.num_delivered else 1
        if attempt >= self.max_deliveries:
            await self.dead_letters.keep(self.name, msg, error, attempt)
            await msg.ack()
            HANDLED.labels(self.name, "dead_lettered").inc()
            return
        delay = self.backoff_seconds * 2 ** (attempt - 1)
        log.warning("%s failed on attempt %d (%s); retrying in %.1f s", self.name, attempt, _brief(error), delay)
        await msg.nak(delay=delay)
        HANDLED.labels(self.name, "retried").inc()

    async def replay(self, dead_letter_id: int) -> bool:
        """Run a dead letter's message through the handler again; mark it replayed when that succeeds."""
        body = await self.dead_letters.waiting(dead_letter_id, self.name)
        if body is None:
            return False
        await self.process(Published.model_validate_json(body))
        await self.dead_letters.mark_replayed(dead_letter_id)
        return True


def _brief(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return f"the message does not decode: {error.error_count()} problem(s), first {error.errors()[0]['msg']}"
    return f"{type(error).__name__}: {error}"


def _failure_middleware(consumer: IdempotentConsumer) -> type[BaseMiddleware]:
    class Failures(BaseMiddleware):
        """Every failure of this consumer, a message that does not decode included, is retried and then kept."""

        async def after_processed(self, exc_type: type[BaseException] | None = None,
                                  exc_val: BaseException | None = None,
                                  exc_tb: TracebackType | None = None) -> bool:
            if exc_val is None or not isinstance(self.msg, Msg):
                return False
            await consumer.failed(self.msg, exc_val)
            return True

    return Failures


def subscribe(broker: NatsBroker, consumer_service: str, source: str, consumer: IdempotentConsumer, *,
              batch_size: int = 16, ack_wait_seconds: float = 30.0, inbox_prefix: str = "_INBOX") -> list[Any]:
    """Attach ``consumer`` as the durable pull consumer ``<consumer>-from-<source>`` on the source's stream;
    pulled messages come to ``inbox_prefix`` (the connection's own inbox: no other user may read it). Returns the
    subscribers made, for a broker already running to start them."""
    durable = durable_name(consumer_service, source)
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait_seconds,
        max_deliver=-1,  # our own limit dead-letters the message; JetStream must not give up first
        max_ack_pending=1000,
    )
    router = NatsRouter(middlewares=[_failure_middleware(consumer)])

    async def consume(envelope: Published, msg: NatsMessage) -> None:
        handled = await consumer.process(envelope)
        await msg.ack()
        HANDLED.labels(consumer.name, "handled" if handled else "skipped").inc()

    consume.__name__ = durable.replace("-", "_")
    router.subscriber(
        events_wildcard(source),
        stream=JStream(stream_name(source), declare=False),
        durable=durable,
        config=config,
        pull_sub=PullSub(batch_size=batch_size, timeout=1.0),
        inbox_prefix=f"{inbox_prefix}.".encode(),
        ack_policy=AckPolicy.MANUAL,
        title=durable,
        description=f"{consumer_service} consumes the events of {source}",
    )(consume)
    broker.include_router(router)
    return list(router.subscribers)

"""Idempotent JetStream consumers with retries and a dead-letter store.

Each consumer is a durable pull consumer on another service's stream with explicit acks (FastStream's
NATS default would terminate a message on any error; we acknowledge by hand instead). For each message:

1. in one transaction, record (consumer, event id) as processed and run the handler's effects: a
   redelivered message finds its record and changes nothing;
2. on an error, ask for redelivery with exponential backoff; after ``max_deliveries`` attempts the message
   goes to the ``dead_letters`` table with its error, where ``kokemus dlq list`` shows it and
   ``kokemus dlq replay`` runs it again. It is acknowledged only once it is stored there.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import AckPolicy as JsAckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter

from shared.eventstore import codec
from shared.events import RecordedEvent
from shared.messaging.subjects import durable_name, events_wildcard, stream_name

log = logging.getLogger(__name__)

HANDLED = Counter("kokemus_consumer_messages_total", "Messages consumed", ["consumer", "outcome"])


@dataclass(frozen=True)
class HandlerContext:
    """What an event handler gets besides the event: the transaction its effects must use."""

    connection: asyncpg.Connection
    consumer: str
    envelope: dict[str, Any] | None = None  # the message as published (personal fields still sealed)


EventHandler = Callable[[RecordedEvent, HandlerContext], Awaitable[None]]


def decode_envelope(envelope: dict[str, Any]) -> RecordedEvent:
    """An event from its published envelope (personal fields stay sealed: they read as None here)."""
    return codec.decode(codec.row_from_envelope(envelope), None, envelope.get("service", ""))


class IdempotentConsumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        name: str,
        handlers: Mapping[str, EventHandler],
        *,
        max_deliveries: int = 5,
        backoff_seconds: float = 0.5,
        handle_all: EventHandler | None = None,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.name = name
        self.handlers = dict(handlers)
        self.handle_all = handle_all
        self.max_deliveries = max_deliveries
        self.backoff_seconds = backoff_seconds

    def wants(self, event_type: str) -> bool:
        return self.handle_all is not None or event_type in self.handlers

    async def process(self, body: bytes) -> bool:
        """Handle one message exactly once; return False when it had been handled before."""
        envelope = json.loads(body)
        event = decode_envelope(envelope)
        handler = self.handlers.get(event.event_type, self.handle_all)
        if handler is None:
            return False
        async with self.pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(
                f"""INSERT INTO {self.schema}.processed_messages (consumer, event_id) VALUES ($1, $2)
                    ON CONFLICT DO NOTHING RETURNING true""",
                self.name, event.event_id,
            )
            if not first_time:
                return False
            await handler(event, HandlerContext(conn, self.name, envelope))
        return True

    async def on_message(self, msg: NatsMessage) -> None:
        attempt = msg.raw_message.metadata.num_delivered if msg.raw_message.metadata else 1
        try:
            handled = await self.process(msg.body)
        except Exception as error:  # noqa: BLE001 - every failure is retried, then kept
            if attempt >= self.max_deliveries:
                await self.dead_letter(msg, error, attempt)
                await msg.ack()
                HANDLED.labels(self.name, "dead_lettered").inc()
            else:
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                log.warning("%s failed on attempt %d (%s); retrying in %.1f s", self.name, attempt, error, delay)
                await msg.nack(delay=delay)
                HANDLED.labels(self.name, "retried").inc()
            return
        await msg.ack()
        HANDLED.labels(self.name, "handled" if handled else "skipped").inc()

    async def dead_letter(self, msg: NatsMessage, error: Exception, attempts: int) -> None:
        event_id = None
        try:
            event_id = json.loads(msg.body).get("event_id")
        except (ValueError, AttributeError):
            pass
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        await self.pool.execute(
            f"""INSERT INTO {self.schema}.dead_letters (consumer, subject, event_id, headers, body, error, attempts)
                VALUES ($1, $2, $3::uuid, $4::jsonb, $5, $6, $7)""",
            self.name, msg.raw_message.subject, event_id, json.dumps(dict(msg.headers or {})),
            msg.body.decode(errors="replace"), detail, attempts,
        )
        log.error("%s dead-lettered %s after %d attempts: %s", self.name, msg.raw_message.subject, attempts, detail)

    async def replay(self, dead_letter_id: int) -> bool:
        """Run a dead letter's message through the handler again; mark it replayed when that succeeds."""
        row = await self.pool.fetchrow(
            f"SELECT body FROM {self.schema}.dead_letters WHERE id = $1 AND consumer = $2 AND replayed_at IS NULL",
            dead_letter_id, self.name,
        )
        if row is None:
            return False
        await self.process(row["body"].encode())
        await self.pool.execute(f"UPDATE {self.schema}.dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id)
        return True


def subscribe(broker: NatsBroker, consumer_service: str, source_service: str, consumer: IdempotentConsumer,
              *, batch_size: int = 16, ack_wait_seconds: float = 30.0) -> None:
    """Attach ``consumer`` as the durable pull consumer ``<consumer>-from-<source>`` on the source's stream."""
    durable = durable_name(consumer_service, source_service)
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait_seconds,
        max_deliver=-1,  # our own limit dead-letters the message; JetStream must not give up first
        max_ack_pending=1000,
    )

    async def consume(msg: NatsMessage) -> None:
        await consumer.on_message(msg)

    consume.__name__ = durable.replace("-", "_")
    broker.subscriber(
        events_wildcard(source_service),
        stream=JStream(stream_name(source_service), declare=False),
        durable=durable,
        config=config,
        pull_sub=PullSub(batch_size=batch_size, timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
        title=f"{durable}",
        description=f"{consumer_service} consumes the events of {source_service}",
    )(consume)

"""The transactional outbox relay: publishes every committed event, in log order, to the service's stream.

The event table is the outbox: a command commits its events and nothing else is needed to publish them.
The relay reads the commit-safe global log after its checkpoint, publishes each event with
``Nats-Msg-Id`` = event id (JetStream drops a republished duplicate within the duplicate window), and
moves the checkpoint only past what JetStream acknowledged. So a crash, or a NATS outage, only delays
publishing; nothing is lost and nothing lands twice.

One relay per service publishes at a time (a PostgreSQL advisory lock); a second replica waits to take over.
It wakes once the recording transaction has committed: directly when the commit is in its own process and it
leads, otherwise on LISTEN/NOTIFY; and it polls as a fallback, in case a notification is missed. While
committed events wait behind an older transaction that is still open (the log hands an event out only once
every transaction that could commit before it has ended), it looks again within milliseconds rather than at
its next poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib

import asyncpg
import nats.errors
from faststream.nats import NatsBroker
from opentelemetry import context, propagate
from prometheus_client import Counter, Gauge

from shared.envelope import Published
from shared.eventstore.postgres import LogCursor, PostgresEventStore
from shared.messaging.parked import ParkedEvents
from shared.messaging.subjects import event_subject, stream_name

log = logging.getLogger(__name__)

PARK_AFTER = 5
# Committed events held back behind an older open transaction (of any service: the horizon is the cluster's)
# are looked for again after this pause, doubled each time they are still held, up to HELD_BACK_LONGEST_PAUSE:
# they go out within that of the transaction's end, which is announced to this relay only if it recorded events
# of this service, at the cost of one indexed read per pause while anything is held.
HELD_BACK_FIRST_PAUSE = 0.002
HELD_BACK_LONGEST_PAUSE = 0.025

PUBLISHED = Counter("kokemus_relay_published_total", "Events the outbox relay published", ["service"])
FAILURES = Counter("kokemus_relay_failures_total", "Failed publish attempts of the outbox relay", ["service"])
CHECKPOINT = Gauge("kokemus_relay_checkpoint_position", "Last published global position", ["service"])


class OutboxRelay:
    def __init__(
        self,
        store: PostgresEventStore,
        broker: NatsBroker,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        publish_timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.broker = broker
        self.service = store.service
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.publish_timeout = publish_timeout
        self.is_leader = False
        self.last_success = time.monotonic()
        self.failing_since: float | None = None
        self.parked = ParkedEvents(store)
        self._refusals: dict[uuid.UUID, int] = {}  # consecutive refusals of the event at the head
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        store.relay_here(self._woken_here)

    @property
    def lock_key(self) -> int:
        return zlib.crc32(f"kokemus-relay-{self.store.schema}".encode())

    def stuck(self, after_seconds: float = 30.0) -> bool:
        """True when publishing has failed for longer than ``after_seconds`` (readiness uses this)."""
        return self.failing_since is not None and time.monotonic() - self.failing_since > after_seconds

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._lead()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("relay of %s lost its database connection: %s", self.service, error)
                await self._sleep(self.poll_seconds)

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await self.store.pool.acquire()
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key):
                self.is_leader = False
                if await self._sleep(self.poll_seconds):
                    return
            self.is_leader = True
            await conn.add_listener(f"{self.store.schema}_events", self._on_notify)
            try:
                await self.parked.count()
                cursor = await self._load_checkpoint(conn)
                pause = HELD_BACK_FIRST_PAUSE
                while not self._stopping.is_set():
                    cursor, published = await self.publish_pending(conn, cursor)
                    if published:
                        pause = HELD_BACK_FIRST_PAUSE
                    elif await self.store.held_back(conn, cursor):
                        # Committed events wait behind an older transaction of this service's role, still open.
                        await self._sleep(min(pause, self.poll_seconds))
                        pause = min(pause * 2, HELD_BACK_LONGEST_PAUSE)
                    else:
                        await self._sleep(self.poll_seconds)
            finally:
                await conn.remove_listener(f"{self.store.schema}_events", self._on_notify)
                await conn.execute("SELECT pg_advisory_unlock($1)", self.lock_key)  # another replica may lead
        finally:
            self.is_leader = False
            await self.store.pool.release(conn)

    def _refused_again(self, envelope: Published, error: Exception) -> bool:
        """True once the bus, while up, has refused the same event ``PARK_AFTER`` times: a fault of the event
        (too large, not permitted), not of the bus, so it is set aside and the events after it flow on."""
        if isinstance(error, (TimeoutError, nats.errors.ConnectionClosedError, nats.errors.NoServersError)) \
                or not _connected(self.broker):
            return False
        attempts = self._refusals.get(envelope.event_id, 0) + 1
        self._refusals = {envelope.event_id: attempts}
        return attempts >= PARK_AFTER

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _woken_here(self) -> bool:
        """A commit in this process: wake at once if leading (True), or let the NOTIFY reach the leader."""
        if self.is_leader:
            self._wake.set()
        return self.is_leader

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a notification, the poll interval or stop; True when stopping."""
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()
        return self._stopping.is_set()

    async def _load_checkpoint(self, conn: asyncpg.Connection) -> LogCursor:
        row = await conn.fetchrow(f"""SELECT transaction_id::text AS tx, position
                                       FROM {self.store.schema}.relay_checkpoint WHERE relay = 'outbox'""")
        return (int(row["tx"]), row["position"]) if row else (0, 0)

    async def publish_pending(self, conn: asyncpg.Connection, cursor: LogCursor) -> tuple[LogCursor, int]:
        """Publish one batch after ``cursor``; return the new cursor and how many were published (or parked)."""
        log_entries = await self.store.read_log(conn, cursor, self.batch_size)
        published = 0
        for next_cursor, envelope in log_entries:
            try:
                await self._publish(envelope)
            except Exception as error:  # noqa: BLE001 - NATS down, timeouts, refusals: kept, retried or parked
                FAILURES.labels(self.service).inc()
                if not self._refused_again(envelope, error):
                    if self.failing_since is None:
                        self.failing_since = time.monotonic()
                    log.warning("relay of %s could not publish (%s); will retry", self.service, error)
                    await self._sleep(min(self.poll_seconds, 1.0))
                    break
                await self.parked.park(conn, envelope, error)
            else:
                self.failing_since = None
                self.last_success = time.monotonic()
            cursor = next_cursor
            published += 1
        if published:
            await conn.execute(
                f"""INSERT INTO {self.store.schema}.relay_checkpoint (relay, transaction_id, position, published)
                    VALUES ('outbox', $1::text::xid8, $2, $3)
                    ON CONFLICT (relay) DO UPDATE SET transaction_id = excluded.transaction_id,
                        position = excluded.position, published = relay_checkpoint.published + excluded.published,
                        updated_at = now()""",
                str(cursor[0]), cursor[1], published,
            )
            PUBLISHED.labels(self.service).inc(published)
            CHECKPOINT.labels(self.service).set(cursor[1])
        return cursor, published

    async def republish(self, event_id: uuid.UUID) -> bool:
        """Publish a parked event again; False when no such event waits."""
        envelope = await self.parked.waiting_event(event_id)
        if envelope is None:
            return False
        await self._publish(envelope)
        await self.parked.republished(event_id)
        return True

    async def _publish(self, envelope: Published) -> None:
        # Through the service's own broker connection, inside the recording command's trace: the publish
        # span and the consumer's span after it continue that trace, not one of the relay's own.
        token = context.attach(propagate.extract(envelope.trace))
        try:
            await self.broker.publish(
                envelope,
                event_subject(self.service, envelope.event_type),
                headers={"Nats-Msg-Id": str(envelope.event_id)},
                stream=stream_name(self.service),
                timeout=self.publish_timeout,
            )
        finally:
            context.detach(token)


def _connected(broker: NatsBroker) -> bool:
    try:
        return bool(broker.connection.is_connected)
    except Exception:  # noqa: BLE001 - FastStream raises until it has connected once
        return False

"""The history at scale (part (d) of the flow benchmark): the audit team's and a rebuild's view of years of events.

    python -m bench.history                         # 1,000,000 events each, embedded PostgreSQL, some minutes
    python -m bench.history --events 100000 --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

In a fresh database of its own it records ``--events`` orders events (nine per engagement: placed, offered,
accepted, opened, confirmed, delivered, fee approved, feedback complete, closed; topic and place sealed with the
orderer's key, as the service records them) through the orders service's event store, and as many audit trail
entries (nine per engagement's trail) through the audit's. Then it measures, each beside its raw reference on the
same tables in the same run:

- reading the global log: as the relay reads it (sealed, in commit order below the horizon) and decoded
  (``iterate_all``, what a rebuild reads), against raw asyncpg paging the same rows by position;
- rebuilding the orders projection (its orders, offers and engagements tables emptied, then every event applied,
  one transaction a page of 1,000): events per second, against the raw read;
- an engagement's audit history among all of them: the trail loaded and put in causal order as the audit's
  ``history`` query does, p50 and p99 over random engagements, against raw asyncpg reading the trail's rows;
- ``audit verify`` over the audit's chains: events per second, against the raw read.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from bench.eventstore import fresh_databases, postgres_server
from bench.report import percentile, ratio_text
from services.audit import service as audit_service
from services.audit.domain import AUDIT, Trail
from services.audit.events import TrailEntryRecorded
from services.audit.handlers import _entry
from services.orders import events as ev, service as orders_service
from shared.database import create_pool, migrate
from shared.events import Actor, NewEvent, Role
from shared.eventstore.keyring import KeyRing
from shared.eventstore.postgres import PostgresEventStore
from shared.unit_of_work import PostgresUnitOfWork

Log = Callable[[str], None]
EVENTS_PER_ENGAGEMENT = 9
PAGE = 1000
WRITERS = 4
LOAD_BATCH = 100  # engagements a loading transaction
TARGETS = {
    "global log as the relay reads it": ">= 100,000 events/s",
    "global log decoded": ">= 100,000 events/s",
    "orders projection rebuilt": ">= 20,000 events/s",
    "audit verify": ">= 100,000 events/s",
    "an engagement's audit history": "p99 < 10 ms",
}


@dataclass
class Rate:
    name: str
    events: int
    seconds: float
    reference: float  # the raw reference's events per second

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


@dataclass
class Latency:
    name: str
    samples: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)


@dataclass
class History:
    events: int
    rates: list[Rate]
    latencies: list[Latency]


# -- recording the history -----------------------------------------------------------------------------------


def _engagement_events(n: int, day: dt.date) -> tuple[str, list[NewEvent], str, list[NewEvent], uuid.UUID]:
    """One engagement's order and engagement streams, as the orders service records them."""
    order_id, offer_id, engagement_id, contract_id = (uuid.uuid4() for _ in range(4))
    orderer, expert = f"orderer-{n % 5000}", f"expert-{n % 2000}"
    by_orderer, by_expert = Actor(id=orderer, role=Role.orderer), Actor(id=expert, role=Role.expert)
    fee = ev.FeeTerms(mode=ev.FeeMode.recommended)
    task = {"task_type": ev.TaskType.lecture, "topic": f"Kokemuspuheenvuoro {n}", "date": day,
            "duration_hours": Decimal(2), "remote": False, "fee": fee}
    placed = ev.OrderPlaced(order_id=order_id, orderer_id=orderer, orderer_organization_id="county",
                            county_service=True, place="Kaupungintalo", experts_wanted=1, **task)
    order = [
        NewEvent(placed, by_orderer, subject_id=orderer),
        NewEvent(ev.OfferMade(order_id=order_id, offer_id=offer_id, expert_id=expert,
                              expires_at=dt.datetime.combine(day, dt.time(), dt.UTC)), by_orderer),
        NewEvent(ev.OfferAccepted(order_id=order_id, offer_id=offer_id, expert_id=expert,
                                  engagement_id=engagement_id), by_expert),
    ]
    opened = ev.EngagementOpened(engagement_id=engagement_id, order_id=order_id, offer_id=offer_id,
                                 expert_id=expert, orderer_id=orderer, place="Kaupungintalo", **task)
    engagement = [NewEvent(payload, by_expert, engagement_id=engagement_id, subject_id=orderer) for payload in (
        opened,
        ev.EngagementConfirmed(engagement_id=engagement_id, contract_id=contract_id),
        ev.DeliveryConfirmed(engagement_id=engagement_id, actual_hours=Decimal(2), kilometres=Decimal(12),
                             delivered_on=day),
        ev.FeeApprovalNoted(engagement_id=engagement_id, contract_id=contract_id),
        ev.FeedbackCompletionNoted(engagement_id=engagement_id),
        ev.EngagementClosed(engagement_id=engagement_id),
    )]
    return f"order-{order_id}", order, f"engagement-{engagement_id}", engagement, engagement_id


def _trail(engagement_id: uuid.UUID, sources: list[tuple[str, NewEvent]]) -> list[NewEvent]:
    """The audit's trail of the engagement: one entry per source event, each caused by the one before."""
    entries, cause, at = [], None, dt.datetime.now(dt.UTC)
    for version, (stream_id, source) in enumerate(sources, start=1):
        entry = TrailEntryRecorded(
            engagement_id=engagement_id, source_service="orders", source_event_id=source.event_id,
            source_stream_id=stream_id, source_version=version, source_hash="00" * 32,
            source_event_type=type(source.payload).__name__, recorded_at=at + dt.timedelta(milliseconds=version),
            actor=source.actor.model_dump(mode="json"), causation_id=cause, trace_id=None,
            summary={"engagement_id": str(engagement_id)})
        entries.append(NewEvent(entry, AUDIT, engagement_id=engagement_id))
        cause = source.event_id
    return entries


async def _record(orders: PostgresEventStore, audit: PostgresEventStore, engagements: range,
                  trails: list[uuid.UUID]) -> None:
    """Each engagement's streams through the stores' own appends, many engagements a transaction (loading is
    not what is measured: a commit per engagement would make it take many minutes)."""
    day = dt.date(2026, 1, 1)
    for start in range(0, len(engagements), LOAD_BATCH):
        async with orders.pool.acquire() as conn, conn.transaction():
            for n in engagements[start:start + LOAD_BATCH]:
                order_stream, order, engagement_stream, engagement, engagement_id = _engagement_events(
                    n, day + dt.timedelta(days=n % 365))
                await orders.append(order_stream, 0, order, connection=conn)
                await orders.append(engagement_stream, 0, engagement, connection=conn)
                sources = [(order_stream, e) for e in order] + [(engagement_stream, e) for e in engagement]
                await audit.append(f"trail-{engagement_id}", 0, _trail(engagement_id, sources), connection=conn)
                trails.append(engagement_id)


# -- measuring ------------------------------------------------------------------------------------------------


async def _raw_log(pool: asyncpg.Pool, schema: str) -> float:
    """Raw asyncpg paging the whole log by position: events per second."""
    started, after, n = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while rows := await conn.fetch(
                f"SELECT * FROM {schema}.events WHERE position > $1 ORDER BY position LIMIT {PAGE}", after):
            after, n = rows[-1]["position"], n + len(rows)
    return n / (time.perf_counter() - started)


async def _relay_read(store: PostgresEventStore) -> tuple[int, float]:
    started, cursor, n = time.perf_counter(), (0, 0), 0
    async with store.pool.acquire() as conn:
        while page := await store.read_log(conn, cursor, PAGE):
            cursor, n = page[-1][0], n + len(page)
    return n, time.perf_counter() - started


async def _decoded_read(store: PostgresEventStore) -> tuple[int, float]:
    started, n = time.perf_counter(), 0
    async for _ in store.iterate_all(batch=PAGE):
        n += 1
    return n, time.perf_counter() - started


async def _rebuild(store: PostgresEventStore, pool: asyncpg.Pool) -> tuple[int, float]:
    """Empty the orders projection and apply every event again, a transaction per page (what a rebuild does)."""
    views = orders_service.definition().views(pool, "orders")
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE orders.orders, orders.offers, orders.engagements")
    started, after, n = time.perf_counter(), 0, 0
    async with pool.acquire() as conn:
        while events := await store.read_all(after_position=after, limit=PAGE):
            async with conn.transaction():
                for event in events:
                    await views.project(event, conn)
            after, n = events[-1].position, n + len(events)
    return n, time.perf_counter() - started


async def _histories(store: PostgresEventStore, pool: asyncpg.Pool, trails: list[uuid.UUID],
                     samples: int) -> Latency:
    uow = PostgresUnitOfWork(store, pool)
    latency = Latency("an engagement's audit history")
    chosen = random.Random(7).sample(trails, min(samples, len(trails)))
    async with pool.acquire() as conn:
        for engagement_id in chosen:
            started = time.perf_counter()
            await conn.fetch("SELECT * FROM audit.events WHERE stream_id = $1 ORDER BY version",
                             f"trail-{engagement_id}")
            latency.reference.append(time.perf_counter() - started)
    for engagement_id in chosen:
        started = time.perf_counter()
        trail = await uow.load(Trail, str(engagement_id))
        [_entry(entry) for entry in trail.history()]
        latency.samples.append(time.perf_counter() - started)
    return latency


async def measure_history(admin_dsn: str, events: int, log: Log, samples: int = 500) -> History:
    engagements = max(1, events // EVENTS_PER_ENGAGEMENT)
    async with fresh_databases(admin_dsn, ["history"]) as dsns:
        pool = await create_pool(dsns["history"], max_size=WRITERS + 2)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, "orders", orders_service.definition().sql)
                await migrate(conn, "audit", audit_service.definition().sql)
            ring = KeyRing.parse("bench:" + base64.urlsafe_b64encode(bytes(range(32))).decode())
            orders = PostgresEventStore(pool, "orders", "orders", orders_service.definition().events, key_ring=ring)
            audit = PostgresEventStore(pool, "audit", "audit", audit_service.definition().events, key_ring=ring)
            log(f"recording {engagements * EVENTS_PER_ENGAGEMENT:,} orders events and as many audit trail entries")
            trails: list[uuid.UUID] = []
            await asyncio.gather(*(_record(orders, audit, range(w, engagements, WRITERS), trails)
                                   for w in range(WRITERS)))
            async with pool.acquire() as conn:
                await conn.execute("VACUUM ANALYZE orders.events")
                await conn.execute("VACUUM ANALYZE audit.events")
            log("reading the global log, rebuilding the orders projection, histories and verify")
            raw_orders = await _raw_log(pool, "orders")
            rates = [Rate("global log as the relay reads it", *await _relay_read(orders), raw_orders),
                     Rate("global log decoded", *await _decoded_read(orders), raw_orders),
                     Rate("orders projection rebuilt", *await _rebuild(orders, pool), raw_orders)]
            raw_audit = await _raw_log(pool, "audit")
            started = time.perf_counter()
            report = await audit.verify()
            assert report.intact, report.breaks[:3]
            rates.append(Rate("audit verify", report.events_checked, time.perf_counter() - started, raw_audit))
            latencies = [await _histories(audit, pool, trails, samples)]
        finally:
            await pool.close()
    return History(engagements * EVENTS_PER_ENGAGEMENT, rates, latencies)


def render_history(history: History) -> str:
    lines = [f"[history: {history.events:,} orders events and as many audit entries; × raw = the same work's "
             "rate (or time) over raw asyncpg on the same rows]",
             f"{'figure':<40}{'events/s':>12}{'× raw':>8}  target"]
    for rate in history.rates:
        lines.append(f"{rate.name:<40}{rate.per_second:>12,.0f}{ratio_text(rate.per_second / rate.reference):>8}"
                     f"  {TARGETS[rate.name]}")
    lines += ["", f"{'figure':<40}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'raw p50':>9}{'raw p99':>9}"
                  f"{'× raw p50':>11}{'× raw p99':>11}  target"]
    for latency in history.latencies:
        p50, p99 = percentile(latency.samples, 0.5), percentile(latency.samples, 0.99)
        raw50, raw99 = percentile(latency.reference, 0.5), percentile(latency.reference, 0.99)
        lines.append(f"{latency.name:<40}{len(latency.samples):>6}{p50 * 1e3:>9.2f}{p99 * 1e3:>9.2f}"
                     f"{raw50 * 1e3:>9.2f}{raw99 * 1e3:>9.2f}{ratio_text(p50 / raw50):>11}"
                     f"{ratio_text(p99 / raw99):>11}  {TARGETS[latency.name]}")
    return "\n".join(lines)


def history_as_json(history: History) -> dict[str, Any]:
    return {
        "events": history.events,
        "rates": [{"name": r.name, "events": r.events, "per_second": r.per_second,
                   "to_raw": r.per_second / r.reference, "target": TARGETS[r.name]} for r in history.rates],
        "latencies": [{"name": t.name, "n": len(t.samples), "p50_seconds": percentile(t.samples, 0.5),
                       "p99_seconds": percentile(t.samples, 0.99), "raw_p50_seconds": percentile(t.reference, 0.5),
                       "raw_p99_seconds": percentile(t.reference, 0.99), "target": TARGETS[t.name]}
                      for t in history.latencies],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="orders events, and as many audit entries")
    parser.add_argument("--postgres-url", help="a superuser DSN (default: the embedded PostgreSQL, temporary)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with postgres_server(args.postgres_url, log) as admin_dsn:
        print(render_history(asyncio.run(measure_history(admin_dsn, args.events, log))))


if __name__ == "__main__":
    main()

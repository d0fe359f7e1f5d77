"""The flow benchmark: what a person waits for, on the whole system, against the floor of the same machine.

    python -m bench.flow                        # the embedded stack in a temporary folder, about two minutes
    python -m bench.flow --levels 1,10 --json

It starts the embedded stack as ``kokemus up`` does (NATS with its users, PostgreSQL, every service in its own
process, on free ports, with the services' default settings; ``KOKEMUS_*`` variables in the environment reach
the services), then measures, in one run:

1. the floor: a NATS request-reply round trip, and a one-row PostgreSQL commit;
2. engagements played through the services' commands, each person signed in through the development sign-in,
   1, 10 and 50 at once, by a client that sends each next command as soon as the event it waits for is on the
   bus: engagements per second, and the wait from placing the order to the engagement closed;
3. each automatic hop, from the event recorded in one service to the event it caused in the next (matched by
   the effect's causation id, read from the services' event stores), and to the audit's copy of it.

Every time is also printed as a multiple of the floor (one round trip plus one commit) of the same run.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from rich.console import Console

from bench.eventstore import Log, fresh_databases
from bench.report import percentile, ratio_text
from kokemus.demo import Demo, Person
from kokemus.stack.bus_users import ADMIN
from kokemus.stack.servers import free_port, port_is_free
from kokemus.stack.up import Stack, StackConfig
from services import SERVICE_NAMES

PLAYING = ("orders", "contracts", "feedback")  # the services whose events cause events in another
LEVELS = (1, 10, 50)


@dataclass
class Figure:
    """One measured distribution (seconds), or a rate."""

    section: str
    name: str
    samples: list[float] = field(default_factory=list)
    rate: float | None = None  # per second, for throughput figures
    note: str = ""

    @property
    def p50(self) -> float:
        return percentile(self.samples, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99)


# -- the floor ----------------------------------------------------------------------------------------------


async def nats_round_trips(nc: NATS, responder: NATS, count: int) -> list[float]:
    """Request-reply on a subject the benchmark answers itself, from a connection of its own."""
    subject = f"bench.echo.{uuid.uuid4().hex}"

    async def echo(msg: Msg) -> None:
        await msg.respond(msg.data)

    sub = await responder.subscribe(subject, cb=echo)
    await responder.flush()
    try:
        for _ in range(20):
            await nc.request(subject, b"{}", timeout=5)
        return [await _timed(nc.request(subject, b'{"ping": 1}', timeout=5)) for _ in range(count)]
    finally:
        await sub.unsubscribe()


async def one_row_commits(admin_dsn: str, count: int) -> list[float]:
    """One-row INSERTs in autocommit (each its own transaction and commit), in a database of their own."""
    async with fresh_databases(admin_dsn, ["floor"]) as dsns:
        conn = await asyncpg.connect(dsns["floor"])
        try:
            await conn.execute("CREATE TABLE floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL, body jsonb)")
            insert = "INSERT INTO floor (at, body) VALUES (now(), $1::jsonb)"
            for _ in range(20):
                await conn.execute(insert, '{"warm": true}')
            return [await _timed(conn.execute(insert, '{"n": 1}')) for _ in range(count)]
        finally:
            await conn.close()


async def _timed(work: Any) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


# -- engagements --------------------------------------------------------------------------------------------


class Bus:
    """Every event on the bus, as it is published: a step waits for the event that lets it go on."""

    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._seen: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self.arrived: dict[uuid.UUID, float] = {}  # each event's arrival here, on the wall clock (as recorded_at)

    async def listen(self) -> None:
        await self.nc.subscribe("kokemus.*.events.>", cb=self._on_event)
        await self.nc.flush()

    async def _on_event(self, msg: Msg) -> None:
        event = json.loads(msg.data)
        self.arrived[uuid.UUID(event["event_id"])] = time.time()
        future = self._future(str(event.get("engagement_id")), event["event_type"])
        if not future.done():
            future.set_result(event)

    def _future(self, engagement_id: str, event_type: str) -> asyncio.Future[dict[str, Any]]:
        key = (engagement_id, event_type)
        if key not in self._seen:
            self._seen[key] = asyncio.get_running_loop().create_future()
        return self._seen[key]

    async def event(self, engagement_id: str, event_type: str, patience: float) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(asyncio.shield(self._future(engagement_id, event_type)), patience)
        except TimeoutError:
            raise TimeoutError(f"no {event_type} of engagement {engagement_id} within {patience:.0f} s") from None


class EagerDemo(Demo):
    """The demo's people and set-up, with a client that goes on as soon as it may: each step waits for the event
    it depends on, and a retried step (none should be, once set up) is retried after 5 ms."""

    RETRY_FIRST_SECONDS = 0.005
    RETRY_MAX_SECONDS = 0.005

    def __init__(self, nc: NATS, bus: Bus, patience: float) -> None:
        super().__init__(nc, Console(stderr=True, quiet=True), uuid.uuid4().hex[:6], patience)
        self.bus = bus

    async def ready_experts(self, count: int, orders_dsn: str) -> list[tuple[str, Person]]:
        """``count`` listed experts, each signed in, and known to orders (before any clock starts)."""
        experts: list[tuple[str, Person]] = []
        for start in range(0, count, 10):
            wave = range(start + 1, min(count, start + 10) + 1)
            experts += await asyncio.gather(*(self.list_expert(n) for n in wave))
        for _, person in experts:
            await person.fresh_token(self.nc)
        for person in (self.orderer, self.coordinator):
            await person.fresh_token(self.nc)
        conn = await asyncpg.connect(orders_dsn)
        try:
            ids = [expert_id for expert_id, _ in experts]
            deadline = time.monotonic() + self.patience
            while await conn.fetchval("SELECT count(*) FROM orders.listed_experts WHERE expert_id = ANY($1)",
                                      ids) < len(ids) or not await conn.fetchval(
                    "SELECT count(*) FROM orders.orderer_credentials WHERE orderer_id = $1", self.orderer_id):
                if time.monotonic() > deadline:
                    raise TimeoutError("orders did not learn of the listed experts in time")
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        return experts

    async def play(self, expert_id: str, expert: Person) -> tuple[str, float]:
        """One engagement from the order to closed; returns its id and the seconds it took."""
        started = time.perf_counter()
        task_date = dt.date.today() + dt.timedelta(days=14)
        order = await self.call(self.orderer, "kokemus.orders.cmd.place_order", {
            "task_type": "lecture", "topic": "Recovery from depression, for teachers", "date": str(task_date),
            "duration_hours": "2", "place": "Turku", "remote": False, "experts_wanted": 1, "county_service": True,
            "fee": {"mode": "recommended"}})
        offer = await self.call(self.orderer, "kokemus.orders.cmd.make_offer", {
            "order_id": order["order_id"], "expert_id": expert_id})
        accepted = await self.call(expert, "kokemus.orders.cmd.accept_offer", {
            "order_id": order["order_id"], "offer_id": offer["offer_id"]})
        engagement_id: str = accepted["engagement_id"]
        await self.bus.event(engagement_id, "ContractDrafted", self.patience)
        for person, party in ((expert, "expert"), (self.orderer, "orderer")):
            await self.call(person, "kokemus.contracts.cmd.sign_contract", {"engagement_id": engagement_id,
                                                                            "party": party})
        await self.bus.event(engagement_id, "EngagementConfirmed", self.patience)
        await self.call(self.orderer, "kokemus.orders.cmd.confirm_delivery", {
            "engagement_id": engagement_id, "actual_hours": "2", "kilometres": "34", "other_expenses": "0"})

        async def pay() -> None:
            await self.bus.event(engagement_id, "FeeApproved", self.patience)
            await self.call(self.coordinator, "kokemus.contracts.cmd.record_payment", {
                "engagement_id": engagement_id, "paid_on": str(dt.date.today())})

        async def give_feedback() -> None:
            await self.bus.event(engagement_id, "FeedbackRequested", self.patience)
            await self.call(expert, "kokemus.feedback.cmd.submit_feedback", {
                "engagement_id": engagement_id, "form": "self_assessment",
                "ratings": {"preparation": 5, "own_wellbeing": 4, "experience_heard": 5, "would_do_again": 5}},
                retry_on={"unavailable", "not_found"})
            await self.call(self.orderer, "kokemus.feedback.cmd.submit_feedback", {
                "engagement_id": engagement_id, "form": "orderer_feedback",
                "ratings": {"usefulness": 5, "expert_preparation": 5, "cooperation": 5, "would_order_again": 5}},
                retry_on={"unavailable", "not_found"})

        await asyncio.gather(pay(), give_feedback())
        await self.bus.event(engagement_id, "EngagementClosed", self.patience)
        return engagement_id, time.perf_counter() - started


@dataclass
class Level:
    at_once: int
    engagements: list[str]
    waits: list[float]
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.engagements) / self.seconds


async def play_level(demo: EagerDemo, experts: list[tuple[str, Person]], at_once: int) -> Level:
    """``at_once`` players, each playing its share of the experts' engagements one after another."""
    queue = list(experts)
    played: list[tuple[str, float]] = []

    async def player() -> None:
        while queue:
            expert_id, person = queue.pop()
            played.append(await demo.play(expert_id, person))

    started = time.perf_counter()
    await asyncio.gather(*(player() for _ in range(at_once)))
    return Level(at_once, [e for e, _ in played], [w for _, w in played], time.perf_counter() - started)


# -- hops ---------------------------------------------------------------------------------------------------


async def hops(dsn: str, engagements: list[str], arrived: dict[uuid.UUID, float]) -> dict[str, list[float]]:
    """Seconds from each event recorded in one service to each event it caused in another (the effect's
    causation id is the cause's event id), and to the audit's copy of it, for the given engagements; and from
    each event recorded to its arrival at a subscriber on the bus (what the relay takes)."""
    ids = [uuid.UUID(e) for e in engagements]
    recorded = " UNION ALL ".join(
        f"SELECT '{s}' AS service, event_id, event_type, recorded_at, causation_id, engagement_id FROM {s}.events"
        for s in PLAYING)
    conn = await asyncpg.connect(dsn)
    try:
        between = await conn.fetch(f"""
            WITH recorded AS ({recorded})
            SELECT cause.service || '.' || cause.event_type || ' → ' || effect.service || '.' || effect.event_type
                       AS hop,
                   extract(epoch FROM effect.recorded_at - cause.recorded_at)::float8 AS seconds
            FROM recorded effect JOIN recorded cause ON effect.causation_id = cause.event_id
            WHERE effect.service <> cause.service AND effect.engagement_id = ANY($1)""", ids)
        to_audit = await conn.fetch(f"""
            WITH recorded AS ({recorded})
            SELECT 'audit copy of ' || source.service || ' events' AS hop,
                   extract(epoch FROM copy.received_at - source.recorded_at)::float8 AS seconds
            FROM audit.source_events copy JOIN recorded source ON copy.event_id = source.event_id
            WHERE source.engagement_id = ANY($1)""", ids)
        published = await conn.fetch(f"""
            WITH recorded AS ({recorded})
            SELECT service, event_id, extract(epoch FROM recorded_at)::float8 AS at FROM recorded
            WHERE engagement_id = ANY($1)""", ids)
    finally:
        await conn.close()
    found: dict[str, list[float]] = defaultdict(list)
    for row in published:
        if row["event_id"] in arrived:
            found[f"relay of {row['service']}: recorded → on the bus"].append(arrived[row["event_id"]] - row["at"])
    for row in [*between, *to_audit]:
        found[row["hop"]].append(row["seconds"])
    return dict(sorted(found.items()))


# -- the run ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    figures: list[Figure]
    floor_p50: float
    floor_p99: float
    settings: dict[str, Any]


async def measure(stack: Stack, levels: tuple[int, ...], floor_samples: int, patience: float, log: Log) -> Result:
    assert stack.postgres is not None
    admin_dsn = stack.postgres.dsn()
    options: dict[str, Any] = {"servers": [stack.nats_url], "user": ADMIN, "password": stack.nats_passwords[ADMIN]}
    nc, responder = await nats.connect(**options), await nats.connect(**options)
    try:
        log(f"the floor: {floor_samples} NATS round trips and {floor_samples} one-row commits")
        trips = Figure("floor", "NATS request-reply round trip", await nats_round_trips(nc, responder, floor_samples))
        commits = Figure("floor", "PostgreSQL one-row commit", await one_row_commits(admin_dsn, floor_samples))
        figures = [trips, commits]

        bus = Bus(nc)
        await bus.listen()
        demo = EagerDemo(nc, bus, patience)
        counts = {level: max(10, 2 * level) for level in levels}
        log(f"setting up: {sum(counts.values()) + 1} experts registered, trained, consenting and listed")
        await demo.set_up()
        experts = await demo.ready_experts(sum(counts.values()) + 1, stack.postgres.dsn("kokemus"))
        log("one engagement to warm up")
        await play_level(demo, experts[:1], 1)
        experts = experts[1:]
        played: dict[int, Level] = {}
        for level in levels:
            log(f"{counts[level]} engagements, {level} at once")
            played[level], experts = await play_level(demo, experts[:counts[level]], level), experts[counts[level]:]
        for level, result in played.items():
            figures.append(Figure("engagements", f"{level} at once: order to closed", result.waits,
                                  rate=result.per_second,
                                  note=f"{len(result.engagements)} engagements in {result.seconds:.1f} s"))
        log("reading the hops from the event stores")
        for level, result in played.items():
            for hop, seconds in (await hops(stack.postgres.dsn("kokemus"), result.engagements, bus.arrived)).items():
                figures.append(Figure(f"hops, {level} at once", hop, seconds))
    finally:
        await nc.close()
        await responder.close()
    return Result(figures, trips.p50 + commits.p50, trips.p99 + commits.p99,
                  {"levels": list(levels), "floor_samples": floor_samples})


def render(result: Result) -> str:
    lines = [f"floor = one NATS round trip + one one-row commit: p50 {result.floor_p50 * 1e3:.2f} ms, "
             f"p99 {result.floor_p99 * 1e3:.2f} ms; '× floor' is a time divided by the floor's (p50 by p50, "
             "p99 by p99); for a rate, the time per engagement (1/rate) divided by the floor's p50", ""]
    header = f"{'figure':<62}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'p50 × floor':>13}{'p99 × floor':>13}  rate"
    section = None
    for figure in result.figures:
        if figure.section != section:
            section = figure.section
            lines += ["", f"[{section}]", header]
        rate = ""
        if figure.rate is not None:
            rate = (f"{figure.rate:.1f} engagements/s, × floor "
                    f"{ratio_text(1 / figure.rate / result.floor_p50)} ({figure.note})")
        lines.append(f"{figure.name:<62}{len(figure.samples):>5}{figure.p50 * 1e3:>10.2f}{figure.p99 * 1e3:>10.2f}"
                     f"{ratio_text(figure.p50 / result.floor_p50):>13}{ratio_text(figure.p99 / result.floor_p99):>13}"
                     f"  {rate}".rstrip())
    return "\n".join(lines)


def as_json(result: Result) -> dict[str, Any]:
    return {
        "settings": result.settings,
        "floor_seconds": {"p50": result.floor_p50, "p99": result.floor_p99},
        "figures": [{"section": f.section, "name": f.name, "n": len(f.samples), "p50_seconds": f.p50,
                     "p99_seconds": f.p99, "p50_to_floor": f.p50 / result.floor_p50,
                     "p99_to_floor": f.p99 / result.floor_p99, "per_second": f.rate} for f in result.figures],
    }


@contextlib.contextmanager
def embedded_stack(log: Log) -> Iterator[Stack]:
    """``kokemus up`` without the web, in a temporary folder on free ports; its own output goes to stderr."""
    with tempfile.TemporaryDirectory(prefix="kokemus-flow-") as folder:
        base = free_port()
        while not all(port_is_free(base + offset) for offset in range(1, len(SERVICE_NAMES) + 1)):
            base = free_port()
        stack = Stack(StackConfig(Path(folder), nats_port=free_port(), postgres_port=free_port(),
                                  http_base_port=base, web=False))
        log(f"starting the embedded stack in {folder}")
        try:
            with contextlib.redirect_stdout(sys.stderr):
                stack.start()
            yield stack
        finally:
            with contextlib.redirect_stdout(sys.stderr):
                stack.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flow", description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="engagements played at once, comma-separated (default 1,10,50); each level plays "
                             "max(10, 2 × level) engagements")
    parser.add_argument("--floor-samples", type=int, default=2000, help="round trips and commits (default 2000)")
    parser.add_argument("--patience", type=float, default=60.0, help="seconds a step may wait (default 60)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    levels = tuple(int(level) for level in args.levels.split(","))

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with embedded_stack(log) as stack:
        result = asyncio.run(measure(stack, levels, args.floor_samples, args.patience, log))
    print(json.dumps(as_json(result), indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()

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
   the effect's causation id, read from the services' event stores), and to the audit's copy of it;
4. the history at scale (``bench.history``), in a database of its own on the same server: reading the global
   log, rebuilding a projection, an engagement's audit history and ``audit verify`` among a million events,
   each against raw asyncpg on the same rows (``--history-events 0`` leaves it out).

Every time is also printed as a multiple of the floor (one round trip plus one commit) of the same run.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from bench.eventstore import Log, fresh_databases
from bench.flow_play import Bus, EagerDemo, Level, hops, play_level
from bench.history import History, history_as_json, measure_history, render_history
from bench.report import percentile, ratio_text
from kokemus.stack.bus_users import ADMIN
from kokemus.stack.servers import free_port, port_is_free
from kokemus.stack.up import Stack, StackConfig
from services import SERVICE_NAMES

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


# -- the run ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    figures: list[Figure]
    floor_p50: float
    floor_p99: float
    settings: dict[str, Any]
    history: History | None = None


async def measure(stack: Stack, levels: tuple[int, ...], floor_samples: int, patience: float, log: Log,
                  history_events: int = 0) -> Result:
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
    history = await measure_history(admin_dsn, history_events, log) if history_events else None
    return Result(figures, trips.p50 + commits.p50, trips.p99 + commits.p99,
                  {"levels": list(levels), "floor_samples": floor_samples, "history_events": history_events},
                  history)


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
    if result.history is not None:
        lines += ["", render_history(result.history)]
    return "\n".join(lines)


def as_json(result: Result) -> dict[str, Any]:
    return {
        "settings": result.settings,
        "floor_seconds": {"p50": result.floor_p50, "p99": result.floor_p99},
        "figures": [{"section": f.section, "name": f.name, "n": len(f.samples), "p50_seconds": f.p50,
                     "p99_seconds": f.p99, "p50_to_floor": f.p50 / result.floor_p50,
                     "p99_to_floor": f.p99 / result.floor_p99, "per_second": f.rate} for f in result.figures],
        "history": history_as_json(result.history) if result.history is not None else None,
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
    parser.add_argument("--history-events", type=int, default=1_000_000,
                        help="events for the history at scale (default 1,000,000; 0 leaves it out)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    levels = tuple(int(level) for level in args.levels.split(","))

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with embedded_stack(log) as stack:
        result = asyncio.run(measure(stack, levels, args.floor_samples, args.patience, log, args.history_events))
    print(json.dumps(as_json(result), indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()

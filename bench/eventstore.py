"""The event store benchmark: kokemus against raw asyncpg INSERTs and the ``eventsourcing`` library.

    python -m bench.eventstore                      # embedded PostgreSQL in a temporary folder
    python -m bench.eventstore --events 5000 --json
    python -m bench.eventstore --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

Every contender gets a fresh database of its own on the same server and does the same work: single-event
appends from concurrent writers, 20-event appends, then reading its whole log from the start. See
bench/README.md for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench import report
from bench.kokemus_store import KokemusStore
from bench.library_recorder import LibraryRecorder
from bench.raw import RawInserts
from bench.workload import Contender, Measurement, Workload, median, plan, timed

Log = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    measurements: list[Measurement]
    written: dict[str, int]  # per contender, everything in its log (warm-up included)

    def measured(self, contender: str, workload: str) -> Measurement:
        return next(m for m in self.measurements if m.contender == contender and m.workload == workload)


async def run(admin_dsn: str, workload: Workload, log: Log = lambda line: None) -> Run:
    """Run every contender through the workload on the server behind ``admin_dsn`` (a superuser)."""
    kinds: dict[str, Any] = {"raw": RawInserts, "kokemus": KokemusStore, "eventsourcing": LibraryRecorder}
    async with fresh_databases(admin_dsn, list(kinds)) as dsns:
        contenders: dict[str, Contender] = {}  # by the DSN of its own database
        try:
            for key, kind in kinds.items():
                contenders[dsns[key]] = await kind.open(dsns[key], workload.writers)
            return await _measure(admin_dsn, contenders, workload, log)
        finally:
            for contender in contenders.values():
                await contender.close()


async def _measure(admin_dsn: str, contenders: dict[str, Contender], workload: Workload, log: Log) -> Run:
    w = workload
    written = dict.fromkeys((c.name for c in contenders.values()), 0)
    log(f"warming up ({2 * w.writers * w.warmup_appends} appends each)")
    warm_single = plan("warm", w.writers * w.warmup_appends, 1, w.single_per_stream, w.writers)
    warm_batched = plan("warmbatch", w.writers * w.warmup_appends, w.batch_size, w.batches_per_stream, w.writers)
    for contender in contenders.values():
        for warm in (warm_single, warm_batched):
            written[contender.name] += await contender.write(contender.prepare(warm))
        await contender.read(w.page_size)

    rounds: dict[tuple[str, str], list[Measurement]] = {}
    for round_ in range(w.rounds):
        phases = {
            "single": plan(f"single{round_}", w.single_events, 1, w.single_per_stream, w.writers),
            "batched": plan(f"batched{round_}", w.batched_events // w.batch_size, w.batch_size,
                            w.batches_per_stream, w.writers),
        }
        for name, plans in phases.items():
            for contender in _turn(contenders, round_):
                prepared = contender.prepare(plans)
                await _settle(admin_dsn)
                log(f"round {round_ + 1}/{w.rounds}, {report.WORKLOADS[name]}: {contender.name}")
                measured = await timed(contender.name, name, contender.write(prepared))
                written[contender.name] += measured.events
                rounds.setdefault((contender.name, name), []).append(measured)
    for dsn in contenders:
        await _settle(dsn, vacuum=True)
    for round_ in range(w.rounds):
        for contender in _turn(contenders, round_):
            log(f"round {round_ + 1}/{w.rounds}, {report.WORKLOADS['read']}: {contender.name}")
            measured = await timed(contender.name, "read", contender.read(w.page_size))
            rounds.setdefault((contender.name, "read"), []).append(measured)
    return Run([median(taken) for taken in rounds.values()], written)


def _turn(contenders: dict[str, Contender], round_: int) -> list[Contender]:
    """Each round starts with the next contender, so none always runs right after the same neighbour."""
    order = list(contenders.values())
    start = round_ % len(order)
    return order[start:] + order[:start]


async def _settle(dsn: str, vacuum: bool = False) -> None:
    """Start each measurement from the same state: no checkpoint half done (and, before reading, hint bits
    set and statistics fresh), so no contender pays for what another left behind."""
    conn = await asyncpg.connect(dsn)
    try:
        if vacuum:
            await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_databases(admin_dsn: str, names: list[str]):  # type: ignore[no-untyped-def]
    """One new database per name (dropped afterwards); yields each one's DSN, as the same superuser."""
    prefix = f"kokemus_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{prefix}_{name}"')
        yield {name: urlsplit(admin_dsn)._replace(path=f"/{prefix}_{name}").geturl() for name in names}
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)')
        await admin.close()


@contextlib.contextmanager
def postgres_server(url: str | None, log: Log) -> Iterator[str]:
    """The given server, or the embedded one started in a temporary folder on a free port (and stopped)."""
    if url:
        yield url
        return
    from kokemus.stack.servers import EmbeddedPostgres, free_port

    with tempfile.TemporaryDirectory(prefix="kokemus-bench-") as folder:
        server = EmbeddedPostgres(Path(folder) / "postgres", port=free_port())
        log(f"starting the embedded PostgreSQL on port {server.port}")
        server.start()
        try:
            yield server.dsn()
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.eventstore", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000,
                        help="single-event appends; the batched run appends twice as many (default 20000)")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers and pool size (default 16)")
    parser.add_argument("--postgres-url", help="a superuser DSN of an existing server (default: embedded)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat each measurement; print the median (default 1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    workload = Workload.scaled(args.events, args.writers, args.rounds)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with postgres_server(args.postgres_url, log) as dsn:
        result = asyncio.run(run(dsn, workload, log))
    table = report.rows(result.measurements)
    verdicts = report.verdicts(table)
    if args.json:
        print(json.dumps(report.as_json(table, verdicts, asdict(workload)), indent=2))
    else:
        print(report.render(table, verdicts))


if __name__ == "__main__":
    main()

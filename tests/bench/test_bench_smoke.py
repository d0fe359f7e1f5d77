"""The event store benchmark, run tiny against the test servers: every contender does all the work and reads
all of it back. Nothing here is timed."""

from __future__ import annotations

import asyncpg
import pytest

from bench import report
from bench.eventstore import fresh_databases, run
from bench.kokemus_store import KokemusStore
from bench.raw import RawInserts
from bench.workload import Workload

pytestmark = pytest.mark.integration

CONTENDERS = (report.RAW, report.KOKEMUS, report.LIBRARY)


async def test_every_contender_writes_the_workload_and_reads_all_of_it_back(servers):
    workload = Workload(single_events=200, batched_events=200, writers=4, warmup_appends=2)
    warm_up = workload.writers * workload.warmup_appends * (1 + workload.batch_size)

    result = await run(servers.admin_dsn, workload)

    counts = {
        contender: (result.measured(contender, "single").events, result.measured(contender, "batched").events,
                    result.written[contender], result.measured(contender, "read").events)
        for contender in CONTENDERS
    }
    # single appends, batched appends, everything written (warm-up too), everything read back from the log
    assert counts == dict.fromkeys(CONTENDERS, (200, 200, warm_up + 400, warm_up + 400))
    table = report.rows(result.measurements)
    assert {row.measurement.contender for row in table} == set(CONTENDERS)
    assert len(report.verdicts(table)) == len(report.TARGETS)


async def test_the_raw_baseline_table_is_shaped_like_the_kokemus_events_table(servers):
    async with fresh_databases(servers.admin_dsn, ["raw", "kokemus"]) as dsns:
        raw = await RawInserts.open(dsns["raw"], 1)
        kokemus = await KokemusStore.open(dsns["kokemus"], 1)
        try:
            assert await _shape(dsns["raw"], "raw") == await _shape(dsns["kokemus"], "kokemus")
        finally:
            await raw.close()
            await kokemus.close()


async def _shape(dsn: str, schema: str) -> tuple[list[tuple], list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        columns = await conn.fetch(
            """SELECT column_name, data_type, is_nullable, column_default, is_identity, identity_generation
               FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events'
               ORDER BY ordinal_position""", schema)
        indexes = await conn.fetch(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events'", schema)
        constraints = await conn.fetch(
            """SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
               WHERE n.nspname = $1 AND c.conrelid = ($1 || '.events')::regclass""", schema)
    finally:
        await conn.close()
    return (
        [tuple(column) for column in columns],
        sorted(record[0].replace(f"{schema}.", "SCHEMA.") for record in indexes),
        sorted(record[0] for record in constraints),
    )

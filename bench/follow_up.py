"""The feedback service's follow-up report over years of data: 100,000 delivered engagements with both forms
requested and most answered, against the same aggregate run directly in SQL in the same run.

    python -m bench.follow_up                   # five minutes or so on 2 cores, most of it building the rollup
    python -m bench.follow_up --engagements 20000 --reports 20 --postgres-url postgresql://…

The kokemus report is what ``feedback.query.follow_up_report`` runs: the period's figures read from the service's
rollup (``FeedbackTables.follow_up_cells``: month totals and running totals kept by events, see
``services/feedback/rollup.py``; here built once from the loaded rows, as a new rollup is) and
:func:`services.feedback.report.report_of` over them (totals, each form's averages, self against orderer on the
shared dimensions, the breakdowns by organization, region, task kind, kind of orderer, month, quarter and year,
small cells suppressed). The reference is the core of the same aggregate in plain SQL on the same tables with raw
asyncpg: the counts and answered forms by form, task kind and month (GROUPING SETS) and each question's average
by form. Each report is timed from the call to the answer; periods of a month, a quarter and a year.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from bench.eventstore import Log, fresh_databases, postgres_server
from bench.report import percentile
from services.feedback.events import Form
from services.feedback.projections import SQLS, FeedbackTables
from services.feedback.questionnaire import Questionnaire
from services.feedback.report import report_of
from shared.clock import day_bounds
from shared.database import migrate

SCHEMA = "feedback"
P99_TARGET_MS = 200.0
TASK_TYPES = ["lecture", "co_teaching", "development_group", "service_evaluation", "peer_support", "media", "other"]
REGIONS = ["oulu", "raahe", "koillismaa", "oulunkaari", "oulun-eteläinen", "rannikko"]
LAST_DAY = dt.date(2026, 11, 30)
YEARS = 3
PLAIN_COUNTS = f"""SELECT f.form, e.task_type,
        date_trunc('month', f.requested_at AT TIME ZONE 'Europe/Helsinki') AS month, count(*) AS requested,
        count(*) FILTER (WHERE f.status = 'answered') AS answered
    FROM {SCHEMA}.forms AS f JOIN {SCHEMA}.engagements AS e USING (engagement_id)
    WHERE f.requested_at >= $1 AND f.requested_at < $2
    GROUP BY GROUPING SETS ((f.form), (f.form, e.task_type), (f.form, month))"""
PLAIN_AVERAGES = f"""SELECT f.form, r.key, count(*) AS answers, avg(r.value::int) AS average
    FROM {SCHEMA}.forms AS f, jsonb_each_text(f.ratings) AS r
    WHERE f.requested_at >= $1 AND f.requested_at < $2 AND f.status = 'answered'
    GROUP BY f.form, r.key"""


def ratings(form: Form, pick: random.Random) -> dict[str, int]:
    questions = Questionnaire(form.value).questions(1)
    return {q.id: pick.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 6, 5])[0] for q in questions}


async def load(conn: asyncpg.Connection, count: int, experts: int, organizations: int) -> None:
    """The rows the feedback service's projections keep for ``count`` delivered engagements over three years."""
    pick = random.Random(5)
    first = LAST_DAY - dt.timedelta(days=365 * YEARS)
    engagement_rows: list[tuple[Any, ...]] = []
    form_rows: list[tuple[Any, ...]] = []
    fee_rows: list[tuple[Any, ...]] = []
    payment_rows: list[tuple[Any, ...]] = []
    orders = [(uuid.UUID(int=pick.getrandbits(128)), pick.random() < 0.7) for _ in range(max(count // 3, 1))]
    for _ in range(count):
        engagement_id = uuid.UUID(int=pick.getrandbits(128))
        expert = f"expert-{pick.randrange(experts):05d}"
        engagement_rows.append((engagement_id, expert, f"orderer-{pick.randrange(500)}", False,
                                pick.choice(TASK_TYPES), Decimal(pick.randrange(2, 13)) / 2, pick.choice(orders)[0]))
        if pick.random() < 0.7:  # paid: the fee with the journey, some expenses later
            fee = Decimal(pick.randrange(40, 400))
            fee_rows.append((engagement_id, fee))
            payment_rows.append((uuid.UUID(int=pick.getrandbits(128)), engagement_id, fee + Decimal("18.60"), True))
            if pick.random() < 0.2:
                payment_rows.append((uuid.UUID(int=pick.getrandbits(128)), engagement_id, Decimal("9.80"), False))
        requested = dt.datetime.combine(first + dt.timedelta(days=pick.randrange(365 * YEARS)), dt.time(10),
                                        dt.UTC) + dt.timedelta(minutes=pick.randrange(600))
        for form in Form:
            answered = pick.random() < 0.8
            form_rows.append((engagement_id, form.value, requested, requested, 0,
                              "answered" if answered else pick.choice(["open", "closed"]),
                              json.dumps(ratings(form, pick)) if answered else None, 1 if answered else None))
    await conn.copy_records_to_table("engagements", schema_name=SCHEMA, records=engagement_rows, columns=[
        "engagement_id", "expert_id", "orderer_id", "cancelled", "task_type", "hours", "order_id"])
    await conn.copy_records_to_table("orders", schema_name=SCHEMA, records=orders,
                                     columns=["order_id", "county_service"])
    await conn.copy_records_to_table("approved_fees", schema_name=SCHEMA, records=fee_rows,
                                     columns=["engagement_id", "fee"])
    await conn.copy_records_to_table("payments", schema_name=SCHEMA, records=payment_rows,
                                     columns=["payment_id", "engagement_id", "total", "includes_fee"])
    await conn.copy_records_to_table("forms", schema_name=SCHEMA, records=form_rows, columns=[
        "engagement_id", "form", "requested_at", "last_prompted_at", "reminders_sent", "status", "ratings",
        "questionnaire_version"])
    memberships = {(f"expert-{n:05d}", f"org-{org}") for n in range(experts)
                   for org in pick.sample(range(organizations), pick.choice([1, 1, 1, 2]))}
    await conn.copy_records_to_table("expert_organizations", schema_name=SCHEMA, records=sorted(memberships),
                                     columns=["expert_id", "organization_id"])
    regions = {(f"expert-{n:05d}", region) for n in range(experts)
               for region in pick.sample(REGIONS, pick.choice([1, 1, 2]))}
    await conn.copy_records_to_table("expert_regions", schema_name=SCHEMA, records=sorted(regions),
                                     columns=["expert_id", "region"])


def periods(reports: int) -> list[tuple[str, dt.date, dt.date]]:
    """A month, a quarter and a year ending on random days of the last two years, in turn."""
    pick = random.Random(9)
    asked = []
    for n in range(reports):
        kind, days = [("month", 30), ("quarter", 91), ("year", 365)][n % 3]
        until = LAST_DAY - dt.timedelta(days=pick.randrange(365))
        asked.append((kind, until - dt.timedelta(days=days - 1), until))
    return asked


async def timed(asked: list[tuple[str, dt.date, dt.date]], report: Callable[[dt.date, dt.date], Awaitable[Any]]
                ) -> dict[str, list[float]]:
    """Milliseconds of each report, by the period's kind, one after another."""
    spent: dict[str, list[float]] = {}
    for kind, start, until in asked:
        started = time.perf_counter()
        await report(start, until)
        spent.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    return spent


@dataclass(frozen=True)
class Figures:
    name: str
    period: str
    p50: float
    p99: float


async def run(admin_dsn: str, *, count: int = 100_000, reports: int = 60, log: Log = lambda line: None
              ) -> list[tuple[Figures, Figures]]:
    asked = periods(reports)
    dimensions = {form: Questionnaire(form.value).dimensions() for form in Form}
    async with fresh_databases(admin_dsn, ["follow_up"]) as dsns:
        conn = await asyncpg.connect(dsns["follow_up"])
        try:
            await migrate(conn, SCHEMA, SQLS)
            log(f"loading {count} engagements over {YEARS} years, {2 * count} forms")
            await load(conn, count, experts=max(count // 50, 10), organizations=40)
            log("building the rollup from the rows")
            await migrate(conn, SCHEMA, SQLS)  # a new rollup is built from the read tables
            await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(dsns["follow_up"], min_size=1, max_size=2)
        try:
            views = FeedbackTables(pool, SCHEMA)

            async def kokemus(start: dt.date, until: dt.date) -> Any:
                return report_of(await views.follow_up_cells(start, until), start, until, dimensions)

            async def plain(start: dt.date, until: dt.date) -> Any:
                bounds = day_bounds(start, until)
                return await pool.fetch(PLAIN_COUNTS, *bounds), await pool.fetch(PLAIN_AVERAGES, *bounds)

            await timed(asked[:6], kokemus)  # warm up both: plans cached, pages in memory
            await timed(asked[:6], plain)
            log(f"{reports} reports each (a month, a quarter and a year in turn)")
            ours, theirs = await timed(asked, kokemus), await timed(asked, plain)
        finally:
            await pool.close()
    return [(Figures("kokemus report", kind, percentile(ours[kind], 0.5), percentile(ours[kind], 0.99)),
             Figures("plain SQL aggregate", kind, percentile(theirs[kind], 0.5), percentile(theirs[kind], 0.99)))
            for kind in ("month", "quarter", "year") if kind in ours]


def table(results: list[tuple[Figures, Figures]]) -> str:
    lines = [f"{'report':<22}{'period':<9}{'p50 ms':>9}{'p99 ms':>9}{'× plain p50':>13}{'× plain p99':>13}  target"]
    for ours, plain in results:
        met = "PASS" if ours.p99 < P99_TARGET_MS else "MISS"
        lines += [f"{plain.name:<22}{plain.period:<9}{plain.p50:>9.2f}{plain.p99:>9.2f}{1:>13.2f}{1:>13.2f}"
                  "  (reference)",
                  f"{ours.name:<22}{ours.period:<9}{ours.p50:>9.2f}{ours.p99:>9.2f}{ours.p50 / plain.p50:>13.2f}"
                  f"{ours.p99 / plain.p99:>13.2f}  p99 < {P99_TARGET_MS:g} ms: {met}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.follow_up", description=__doc__.split("\n")[0])
    parser.add_argument("--engagements", type=int, default=100_000, help="delivered engagements (default 100000)")
    parser.add_argument("--reports", type=int, default=60, help="timed reports per contender (default 60)")
    parser.add_argument("--postgres-url", help="a superuser DSN of an existing server (default: embedded)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with postgres_server(args.postgres_url, log) as admin_dsn:
        results = asyncio.run(run(admin_dsn, count=args.engagements, reports=args.reports, log=log))
    print(table(results))


if __name__ == "__main__":
    main()

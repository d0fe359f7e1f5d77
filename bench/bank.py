"""The experience bank's search at county scale: 10,000 listed experts and 50 themes, against the same search on a
plain indexed table in the same run.

    python -m bench.bank               # about half a minute on 2 cores
    python -m bench.bank --experts 2000 --searches 200 --postgres-url postgresql://…

The registry's bank (``RegistryTables.find_in_bank``, what ``registry.query.find_experts`` runs) answers a
three-filter search (a theme, a region, a language): ranked by themes matched, recent activity and fewer recent
assignments, paginated, with the total, decoded to the entries the handler returns. The reference is the
fastest form of the same filter in plain SQL: a table of (kind, value, expert) facts whose primary key each filter
walks, asked for the first page of ids (no ranking, no total) with raw asyncpg. Both hold the
same experts; each search is timed from the call to the decoded answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.eventstore import Log, fresh_databases, postgres_server
from bench.report import percentile
from services.registry.projections import SQL, RegistryTables
from services.registry.views import BankQuery
from shared.database import migrate

SCHEMA = "registry"
REGIONS = [f"region-{n}" for n in range(20)]
LANGUAGES = ["fi", "sv", "en", "se", "ru", "et", "so", "ar"]
TASK_KINDS = ["talk", "co_teaching", "development_group", "evaluation", "peer_support", "media"]
P99_TARGET_MS = 50.0

# One row per (expert, kind, value), its primary key the index each filter walks.
PLAIN_SQL = "CREATE TABLE plain_facts (kind text, value text, expert_id text, PRIMARY KEY (kind, value, expert_id))"
PLAIN_SEARCH = """SELECT t.expert_id FROM plain_facts t
    JOIN plain_facts r ON r.kind = 'region' AND r.value = $2 AND r.expert_id = t.expert_id
    JOIN plain_facts l ON l.kind = 'language' AND l.value = $3 AND l.expert_id = t.expert_id
    WHERE t.kind = 'theme' AND t.value = $1
    ORDER BY t.expert_id LIMIT 20"""


@dataclass(frozen=True)
class Expert:
    expert_id: str
    themes_own: list[str]
    themes_relative: list[str]
    regions: list[str]
    languages: list[str]
    task_kinds: list[str]


def experts(count: int, themes: list[str], seed: int = 7) -> list[Expert]:
    """Experts with one to four themes, one or two regions and languages, as a county's bank might hold."""
    pick = random.Random(seed)
    made = []
    for n in range(count):
        chosen = pick.sample(themes, pick.randint(1, 4))
        split = pick.randint(0, len(chosen))
        made.append(Expert(f"expert-{n:05d}", sorted(chosen[:split]), sorted(chosen[split:]),
                           pick.sample(REGIONS, pick.randint(1, 2)),
                           ["fi", *pick.sample(LANGUAGES[1:], pick.randint(0, 1))],
                           pick.sample(TASK_KINDS, pick.randint(1, 3))))
    return made


async def load_bank(conn: asyncpg.Connection, bank: list[Expert], now: dt.datetime) -> None:
    """The rows the registry's projection keeps for listed experts (what its event handlers write)."""
    pick = random.Random(11)
    await conn.copy_records_to_table("profiles", schema_name=SCHEMA, columns=[
        "expert_id", "organization_ids", "listed", "basic_trained", "themes_own", "themes_relative", "themes",
        "regions", "languages", "task_kinds", "last_active", "assignments"], records=[
        (e.expert_id, [f"org-{pick.randrange(40)}"], True, True, e.themes_own, e.themes_relative,
         sorted({*e.themes_own, *e.themes_relative}), e.regions, e.languages, e.task_kinds,
         now - dt.timedelta(days=pick.randrange(400)),
         [now - dt.timedelta(days=pick.randrange(400)) for _ in range(pick.randrange(4))])
        for e in bank])


async def load_plain(conn: asyncpg.Connection, bank: list[Expert]) -> None:
    await conn.execute(PLAIN_SQL)
    await conn.copy_records_to_table("plain_facts", columns=["kind", "value", "expert_id"], records=[
        (kind, value, e.expert_id) for e in bank for kind, values in (
            ("theme", {*e.themes_own, *e.themes_relative}), ("region", e.regions), ("language", e.languages))
        for value in values])


async def timed(searches: list[tuple[str, str, str]], search: Callable[[str, str, str], Awaitable[Any]]
                ) -> tuple[list[float], int]:
    """Milliseconds of each search, one after another (as one person's clicks), and the results found."""
    spent, found = [], 0
    for theme, region, language in searches:
        started = time.perf_counter()
        found += await search(theme, region, language)
        spent.append((time.perf_counter() - started) * 1000)
    return spent, found


@dataclass(frozen=True)
class Figures:
    name: str
    p50: float
    p99: float
    found: int


async def run(admin_dsn: str, *, count: int = 10_000, theme_count: int = 50, searches: int = 500,
              log: Log = lambda line: None) -> tuple[Figures, Figures]:
    themes = [f"theme-{n:02d}" for n in range(theme_count)]
    bank = experts(count, themes)
    pick = random.Random(3)
    asked = [(pick.choice(themes), pick.choice(REGIONS), pick.choice(["fi", "fi", "sv", "en"]))
             for _ in range(searches)]
    now = dt.datetime.now(dt.UTC)
    async with fresh_databases(admin_dsn, ["bank"]) as dsns:
        conn = await asyncpg.connect(dsns["bank"])
        try:
            await migrate(conn, SCHEMA, [SQL])
            log(f"loading {count} listed experts with {theme_count} themes")
            await load_bank(conn, bank, now)
            await load_plain(conn, bank)
            await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(dsns["bank"], min_size=1, max_size=2)
        try:
            views = RegistryTables(pool, SCHEMA)
            since = now - dt.timedelta(days=365)

            async def bank_search(theme: str, region: str, language: str) -> int:
                page = await views.find_in_bank(BankQuery(themes=(theme,), region=region, language=language,
                                                          since=since))
                return len(page.entries)

            async def plain_search(theme: str, region: str, language: str) -> int:
                return len(await pool.fetch(PLAIN_SEARCH, theme, region, language))

            await timed(asked[:20], bank_search)  # warm up both: plans cached, pages in memory
            await timed(asked[:20], plain_search)
            log(f"{searches} three-filter searches each")
            bank_ms, bank_found = await timed(asked, bank_search)
            plain_ms, plain_found = await timed(asked, plain_search)
        finally:
            await pool.close()
    return (Figures("kokemus bank", percentile(bank_ms, 0.5), percentile(bank_ms, 0.99), bank_found),
            Figures("plain indexed table", percentile(plain_ms, 0.5), percentile(plain_ms, 0.99), plain_found))


def table(bank: Figures, plain: Figures) -> str:
    met = "PASS" if bank.p99 < P99_TARGET_MS else "MISS"
    return "\n".join([
        f"{'search':<22}{'p50 ms':>9}{'p99 ms':>9}{'× plain p50':>13}{'× plain p99':>13}  target",
        f"{plain.name:<22}{plain.p50:>9.2f}{plain.p99:>9.2f}{1:>13.2f}{1:>13.2f}  (reference)",
        f"{bank.name:<22}{bank.p50:>9.2f}{bank.p99:>9.2f}{bank.p50 / plain.p50:>13.2f}{bank.p99 / plain.p99:>13.2f}"
        f"  p99 < {P99_TARGET_MS:g} ms: {met}",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bank", description=__doc__.split("\n")[0])
    parser.add_argument("--experts", type=int, default=10_000, help="listed experts (default 10000)")
    parser.add_argument("--themes", type=int, default=50, help="themes in the vocabulary (default 50)")
    parser.add_argument("--searches", type=int, default=500, help="timed searches per contender (default 500)")
    parser.add_argument("--postgres-url", help="a superuser DSN of an existing server (default: embedded)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with postgres_server(args.postgres_url, log) as admin_dsn:
        bank, plain = asyncio.run(run(admin_dsn, count=args.experts, theme_count=args.themes,
                                      searches=args.searches, log=log))
    print(table(bank, plain))
    # the same experts match both: a first page of the same length for every search
    print(f"first pages: {bank.found} entries from the bank, {plain.found} from the plain table")


if __name__ == "__main__":
    main()

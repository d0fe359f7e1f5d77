"""Linking on the PostgreSQL tables: the same trail as in memory, and no link lost between two consumers
that handle related events at the same time."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.audit import events, handlers as h, messages as m
from services.audit.projections import PostgresAuditTables
from services.audit.service import Deps, compose
from shared.events import events_in
from shared.eventstore.postgres import PostgresEventStore
from shared.handling import EventContext
from shared.unit_of_work import PostgresUnitOfWork
from tests.conftest import eventually
from tests.unit.audit.scenario import AUDITOR, build_scenario
from tests.unit.audit.test_audit_handlers import new_deps
from tests.unit.calls import call, consume

pytestmark = [pytest.mark.integration, pytest.mark.services("audit")]


@pytest.fixture
async def pool(environment) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(environment.dsns["audit"], min_size=1, max_size=6)
    yield pool
    await pool.close()


def postgres_deps(pool: asyncpg.Pool) -> Deps:
    views = PostgresAuditTables(pool, "audit")
    store = PostgresEventStore(pool, "audit", "audit", events_in(events))
    return compose(PostgresUnitOfWork(store, pool, views.project), views)


async def history(deps: Deps, engagement_id) -> list[dict]:  # type: ignore[no-untyped-def]
    return (await call(h.history, m.History(engagement_id=engagement_id), AUDITOR, deps))["entries"]


async def record_in(conn: asyncpg.Connection, envelope, deps: Deps) -> None:  # type: ignore[no-untyped-def]
    """As the consumer runs the handler: in a transaction on ``conn`` (joining one already open there)."""
    async with deps.uow.begin(connection=conn) as session:
        await h.record_source_event(envelope, EventContext(session, envelope), deps)


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_postgresql_tables_give_the_same_trail_as_memory(pool, seed):
    scenario = build_scenario()
    arrival = list(scenario.envelopes)
    random.Random(seed).shuffle(arrival)
    memory_deps = new_deps()
    deps = postgres_deps(pool)
    for envelope in arrival + arrival[:3]:  # the first three arrive twice
        await consume(h.record_source_event, envelope, memory_deps)
        async with pool.acquire() as conn:
            await record_in(conn, envelope, deps)
    expected = await history(memory_deps, scenario.engagement_id)
    assert len(expected) == len(scenario.expected)
    assert await history(deps, scenario.engagement_id) == expected
    assert (await call(h.verify_trail, m.VerifyTrail(), AUDITOR, deps))["intact"]


@pytest.mark.parametrize("first", ["listed", "opened"])
async def test_an_engagement_opened_while_a_related_event_is_handled_still_gets_it(pool, first):
    """Each consumer's transaction would look for the other's row before either committed (write skew):
    whichever comes second must wait for the first and then see it."""
    scenario = build_scenario()
    by_id = {envelope.event_id: envelope for envelope in scenario.envelopes}
    envelope = {name: by_id[scenario.names[name]] for name in ("listed", "opened")}
    second = "opened" if first == "listed" else "listed"
    deps = postgres_deps(pool)

    holder = await pool.acquire()
    transaction = holder.transaction()
    await transaction.start()
    await record_in(holder, envelope[first], deps)

    async def handle_second() -> None:
        async with pool.acquire() as conn:
            await record_in(conn, envelope[second], deps)

    racing = asyncio.create_task(handle_second())

    async def waiting_or_done() -> bool:
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return racing.done() or waiting > 0

    await eventually(waiting_or_done)
    await transaction.commit()
    await pool.release(holder)
    await racing
    linked = {entry["event_id"] for entry in await history(deps, scenario.engagement_id)}
    assert {str(scenario.names["listed"]), str(scenario.names["opened"])} <= linked

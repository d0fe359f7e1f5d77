"""Offers that move on, on a real NATS and PostgreSQL: the orders service is stopped while an offer is open, its
time passes, and when the service starts again (two replicas at once) the next ranked candidate is offered the task,
once. The offer's deadline lives in PostgreSQL, not in a timer of the stopped process."""

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest

from services.orders import service as orders
from services.orders.handlers import expire_offers
from services.registry import service as registry
from shared.clock import Clock
from shared.messaging.streams import ensure_stream
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.unit.orders.fakes import MovableClock

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

COORDINATOR = {"id": "coord", "role": "coordinator"}
ORDERER = {"id": "school-1", "role": "orderer"}
TODAY = dt.date.today()
TASK_DAY = TODAY + dt.timedelta(days=14)


@pytest.fixture
async def nc(environment) -> AsyncIterator[nats.NATS]:
    connection = await nats.connect(environment.nats_url)
    for source in ("contracts", "feedback"):  # not running here; orders waits for their streams to exist
        await ensure_stream(connection.jetstream(), source, 1, 60)
    yield connection
    await connection.close()


async def list_experts_and_an_orderer(nc: nats.NATS, db: asyncpg.Connection, *expert_ids: str) -> None:
    async def registry_cmd(command, actor=COORDINATOR, **body):  # type: ignore[no-untyped-def]
        return await request(nc, f"kokemus.registry.cmd.{command}", {"actor": actor, **body})

    await registry_cmd("register_organization", organization_id="mieli", name="Mieli ry", kind="ngo")
    for expert_id in expert_ids:
        await registry_cmd("register_expert", expert_id=expert_id, organization_id="mieli", name=expert_id,
                           email=f"{expert_id}@example.org")
        await registry_cmd("record_training", expert_id=expert_id, completed_on=str(TODAY), trained_by="mieli")
        await registry_cmd("give_consent", actor={"id": expert_id, "role": "expert"}, expert_id=expert_id)
        await registry_cmd("list_expert", expert_id=expert_id, topics=["mental health"])
    await registry_cmd("grant_credentials", orderer_id="school-1", orderer_name="Turku school")

    async def known() -> bool:
        listed = await db.fetchval("SELECT count(*) FROM orders.listed_experts")
        return bool(listed == len(expert_ids) and await db.fetchval("SELECT count(*) FROM orders.orderer_credentials"))
    await eventually(known)


async def test_after_a_restart_past_the_deadline_the_next_candidate_is_offered_once(environment, nc):
    clock = MovableClock(dt.datetime.now(dt.UTC))

    def orders_runtime() -> ServiceRuntime:
        return ServiceRuntime(orders.definition(check_every_seconds=0.1, clock=Clock(clock)),
                              environment.settings("orders"))

    registry_runtime = ServiceRuntime(registry.definition(), environment.settings("registry"))
    await registry_runtime.start(serve_http=False)
    first = orders_runtime()
    await first.start(serve_http=False)
    db = await asyncpg.connect(environment.dsns["orders"])
    replicas: list[ServiceRuntime] = []
    try:
        await list_experts_and_an_orderer(nc, db, "maija", "pekka")

        async def get_order():  # type: ignore[no-untyped-def]
            return await request(nc, "kokemus.orders.query.get_order", {"actor": ORDERER, "order_id": order_id})

        placed = await request(nc, "kokemus.orders.cmd.place_order", {
            "actor": ORDERER, "task_type": "lecture", "topic": "recovery", "date": str(TASK_DAY),
            "duration_hours": "2", "place": "Turku", "fee": {"mode": "recommended"}, "candidates": ["maija", "pekka"]})
        order_id = placed["order_id"]
        assert [(o["expert_id"], o["rank"]) for o in placed["offers"]] == [("maija", 1)]

        await first.stop()
        clock.now += dt.timedelta(days=8)  # past the week maija's offer was open, while no orders service runs
        replicas = [orders_runtime(), orders_runtime()]
        for replica in replicas:
            await replica.start(serve_http=False)

        async def moved_on():  # type: ignore[no-untyped-def]
            candidates = (await get_order())["candidates"]
            return candidates if candidates["answered"] else None
        candidates = await eventually(moved_on)
        assert [w["expert_id"] for w in candidates["waiting"]] == ["pekka"]
        assert candidates["answered"] == [{"expert_id": "maija", "answer": "expired"}]

        # Both replicas' jobs keep running; and once more, by hand: the offer to pekka stays the only one.
        assert [await expire_offers(replica.deps) for replica in replicas] == [0, 0]
        offers = (await get_order())["offers"]
        assert [(o["expert_id"], o["status"], o["reason"]) for o in offers] == [
            ("maija", "expired", "ranked"), ("pekka", "open", "expired")]
        made = await db.fetchval("SELECT count(*) FROM orders.events WHERE event_type = 'OfferMade'")
        assert made == 2
    finally:
        await db.close()
        for replica in replicas:
            await replica.stop()
        await registry_runtime.stop()

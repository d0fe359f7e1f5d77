"""The contracts service against real NATS and PostgreSQL.

The orders service's events reach it the honest way: they are recorded in an orders event store in the
orders schema, and the real outbox relay publishes them to the orders stream the contracts service consumes.
"""

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal as D

import asyncpg
import nats
import pytest

from services.contracts import handlers as h
from services.contracts.projections import ContractTables
from services.contracts.service import compose, definition
from services.orders import events as orders
from shared.events import Actor, Role
from shared.eventstore.postgres import PostgresEventStore
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from shared.unit_of_work import PostgresUnitOfWork
from tests.callers import request
from tests.conftest import eventually, upstream

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "contracts")]
COORDINATOR = {"id": "coord", "role": "coordinator"}
EXPERT = {"id": "maija", "role": "expert"}
ORDERER = {"id": "school-1", "role": "orderer"}
ORDERS_SYSTEM = Actor(id="system", role=Role.system)


@pytest.fixture
async def services(environment):
    nc = await nats.connect(environment.nats_url)
    async with upstream(environment, "orders") as orders_side:
        runtime = ServiceRuntime(definition(), environment.settings("contracts"))
        await runtime.start(serve_http=False)
        try:
            yield nc, orders_side, runtime
        finally:
            await runtime.stop()
            await nc.close()


def opened(engagement_id: uuid.UUID, fee: orders.FeeTerms, hours: str) -> orders.EngagementOpened:
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery", date=dt.date.today(),
        duration_hours=D(hours), remote=False, fee=fee,
    )


async def get_contract(nc, engagement_id, actor=COORDINATOR):
    return await request(
        nc, "kokemus.contracts.query.get_contract", {"actor": actor, "engagement_id": str(engagement_id)}
    )


async def drafted(nc, engagement_id):
    try:
        return await get_contract(nc, engagement_id)
    except RemoteError as error:
        if error.code == "not_found":
            return None
        raise


async def sign(nc, engagement_id, actor, party):
    return await request(nc, "kokemus.contracts.cmd.sign_contract",
                         {"actor": actor, "engagement_id": str(engagement_id), "party": party})


async def test_an_engagement_is_drafted_signed_delivered_and_paid(services, environment):
    nc, orders_side, runtime = services
    engagement_id = uuid.uuid4()

    with pytest.raises(RemoteError) as early:  # before the engagement is even announced
        await sign(nc, engagement_id, EXPERT, "expert")
    assert early.value.code == "not_found" and "try again" in early.value.message

    await orders_side.record(
        engagement_id, opened(engagement_id, orders.FeeTerms(mode=orders.FeeMode.recommended), "2")
    )
    contract = await eventually(lambda: drafted(nc, engagement_id))
    assert contract["terms"]["rate_table_id"] == "default-2024" and contract["terms"]["hourly_fee"] == "30.00"
    tables = await request(nc, "kokemus.contracts.query.rate_tables", {"actor": EXPERT})
    assert [t["rate_table_id"] for t in tables] == ["default-2024"]

    with pytest.raises(RemoteError) as wrong:
        await sign(nc, engagement_id, {"id": "pekka", "role": "expert"}, "expert")
    assert wrong.value.code == "forbidden"
    await sign(nc, engagement_id, EXPERT, "expert")
    signed = await sign(nc, engagement_id, ORDERER, "orderer")
    assert signed["fully_signed"] is True and signed["status"] == "fully_signed"
    with pytest.raises(RemoteError) as twice:
        await sign(nc, engagement_id, ORDERER, "orderer")
    assert twice.value.code == "conflict"

    await orders_side.record(engagement_id, orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=D("2.5"), kilometres=D("0"), other_expenses=D("12.40")))

    async def fee_approved():
        return (await get_contract(nc, engagement_id, EXPERT))["fee"]

    assert await eventually(fee_approved) == {
        "fee": "75.00",
        "mileage": "0.00",  # the expert claims the car journey herself
        "other_expenses": "12.40",
        "total": "87.40",
    }

    # The expert claims expenses after the task; bad input is named by its field, nothing is recorded.
    claim = {"actor": EXPERT, "engagement_id": str(engagement_id)}
    with pytest.raises(RemoteError) as negative:
        await request(nc, "kokemus.contracts.cmd.claim_expenses",
                      {**claim, "lines": [{"kind": "car", "kilometres": "-20", "route": "Home – school"}]})
    assert negative.value.code == "validation" and [f["field"] for f in negative.value.fields] == [
        "lines.0.kilometres"]
    claimed = await request(nc, "kokemus.contracts.cmd.claim_expenses", {**claim, "lines": [
        {"kind": "car", "kilometres": "20", "route": "Home – school – home"},
        {"kind": "parking", "amount": "4.50"}]})
    assert [line["amount"] for line in claimed["expenses"]["lines"]] == ["11.00", "4.50"]  # 20 km at 0.55 €/km
    # The reply is kept to answer a retry, so it holds no route; the contract shows it to its parties.
    assert [line["route"] for line in claimed["expenses"]["lines"]] == [None, None]
    assert [line["route"] for line in (await get_contract(nc, engagement_id, EXPERT))["expenses"]["lines"]] == [
        "Home – school – home", None]
    review = {"actor": ORDERER, "engagement_id": str(engagement_id)}
    await request(nc, "kokemus.contracts.cmd.approve_expense_line", {**review, "line_no": 1})
    await request(nc, "kokemus.contracts.cmd.return_expense_line", {**review, "line_no": 2, "reason": "No receipt"})

    paid = await request(
        nc, "kokemus.contracts.cmd.record_payment", {"actor": COORDINATOR, "engagement_id": str(engagement_id)}
    )
    assert paid["payment"]["total"] == "98.40"  # the fee and the approved car journey
    [listed] = await request(nc, "kokemus.contracts.query.list_contracts", {"actor": ORDERER})
    assert (listed["engagement_id"], listed["status"], listed["total"]) == (str(engagement_id), "paid", "87.40")

    # The engagement's audit trail in this service: every event names it, each reaction follows its cause.
    store = runtime.store
    trail = await store.read_engagement(engagement_id)
    assert [e.event_type for e in trail] == ["ContractDrafted", "ContractSigned", "ContractSigned",
                                              "ContractFullySigned", "FeeApproved", "ExpenseClaimFiled",
                                              "ExpenseLineApproved", "ExpenseLineReturned", "FeePaid"]
    # The route may name where the expert lives: on the bus it travels sealed, under the expert's key.
    js = nc.jetstream()

    async def published_claim():  # type: ignore[no-untyped-def]
        try:
            return json.loads((await js.get_last_msg("KOKEMUS_CONTRACTS",
                                                     "kokemus.contracts.events.ExpenseClaimFiled")).data)
        except nats.js.errors.NotFoundError:
            return None
    filed = await eventually(published_claim)
    assert filed["subject_id"] == "maija" and "$encrypted" in filed["payload"]["route"]
    assert "school" not in json.dumps(filed)
    orders_events = await orders_side.store.read_engagement(engagement_id)
    assert trail[0].causation_id == orders_events[0].event_id and trail[4].causation_id == orders_events[1].event_id
    assert await request(nc, "kokemus.contracts.query.dead_letters", {"actor": COORDINATOR}) == []


async def test_a_cancellation_after_signing_leaves_half_the_orderers_fee_owed(services):
    nc, orders_side, _ = services
    engagement_id = uuid.uuid4()
    fee = orders.FeeTerms(mode=orders.FeeMode.orderer, fixed_fee=D("240.00"))
    await orders_side.record(engagement_id, opened(engagement_id, fee, "3"))
    await eventually(lambda: drafted(nc, engagement_id))
    await sign(nc, engagement_id, EXPERT, "expert")
    await sign(nc, engagement_id, ORDERER, "orderer")
    await orders_side.record(engagement_id, orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="the course was called off", after_signing=True))

    async def cancellation():
        return (await get_contract(nc, engagement_id, ORDERER))["cancellation"]

    assert await eventually(cancellation) == {"fee_owed": "120.00", "cancelled_by": "orderer"}


class RacingStore(PostgresEventStore):
    """Lets both replicas read the empty rates stream before either writes: the race, every time."""

    def __init__(self, pool, barrier: asyncio.Barrier) -> None:
        super().__init__(pool, "contracts", "contracts", definition().events)
        self.barrier = barrier

    async def read_stream(self, stream_id, **kwargs):
        events = await super().read_stream(stream_id, **kwargs)
        await self.barrier.wait()
        return events


@pytest.mark.parametrize(("seed", "event_type", "published"), [
    (h.seed_default_rate_table, "RateTablePublished", 1),
    (h.seed_expense_rates, "ExpenseRatesPublished", 3),  # the tax-free maximums of 2024, 2025 and 2026
])
async def test_two_replicas_seeding_at_once_publish_the_seed_once(environment, seed, event_type, published):
    barrier = asyncio.Barrier(2)
    pools = [await asyncpg.create_pool(environment.dsns["contracts"], min_size=1, max_size=2) for _ in range(2)]
    try:
        stores = [RacingStore(pool, barrier) for pool in pools]
        replicas = [compose(PostgresUnitOfWork(store, store.pool, views.project), views)
                    for store in stores for views in [ContractTables(store.pool, "contracts")]]
        outcomes = await asyncio.gather(*(seed(deps) for deps in replicas))
        assert sorted(outcomes) == [False, True]
        count = await pools[0].fetchval("SELECT count(*) FROM contracts.events WHERE event_type = $1", event_type)
        assert count == published
    finally:
        for pool in pools:
            await pool.close()

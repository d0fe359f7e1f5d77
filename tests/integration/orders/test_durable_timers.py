"""Durable timers, on a real NATS and PostgreSQL: the orders service is stopped while a deadline is ahead, the clock
moves past it, and when the service starts again its jobs act on it, once. The deadlines live in PostgreSQL, not in
a timer of the stopped process: an offer's expiry (the next ranked candidate is offered the task, with two replicas
running the job at once) and the feedback forms' answer period (the engagement closes naming the missing form)."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import asyncpg
import nats
import pytest

from services.contracts.events import ContractFullySigned, FeeApproved
from services.feedback.events import FeedbackSubmitted, Form
from services.orders import service as orders
from services.orders.domain import FEEDBACK_ANSWER_PERIOD
from services.orders.handlers import expire_offers
from shared.clock import Clock
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.integration.orders.stack import (
    COORDINATOR,
    EXPERT as MAIJA,
    ORDERER,
    TASK_DAY,
    TODAY,
    Stack,
    beside_the_registry,
)
from tests.unit.orders.fakes import MovableClock

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]



@dataclass
class Timers:
    """The registry, and orders runtimes that all read one clock the test moves."""

    environment: object
    nc: nats.NATS
    db: asyncpg.Connection
    clock: MovableClock = field(default_factory=lambda: MovableClock(dt.datetime.now(dt.UTC)))
    running: list[ServiceRuntime] = field(default_factory=list)

    async def start_orders(self) -> ServiceRuntime:
        runtime = ServiceRuntime(orders.definition(check_every_seconds=0.1, clock=Clock(self.clock)),
                                 self.environment.settings("orders"))  # type: ignore[attr-defined]
        await runtime.start(serve_http=False)
        self.running.append(runtime)
        return runtime

    async def stop_orders(self) -> None:
        while self.running:
            await self.running.pop().stop()

    async def cmd(self, command: str, **body: object) -> dict:
        return await request(self.nc, f"kokemus.orders.cmd.{command}", body)

    async def query(self, query: str, **body: object) -> dict:
        return await request(self.nc, f"kokemus.orders.query.{query}", body)


@pytest.fixture
async def timers(environment) -> AsyncIterator[Timers]:
    async with beside_the_registry(environment) as (nc, db):
        found = Timers(environment, nc, db)
        try:
            await found.start_orders()
            yield found
        finally:
            await found.stop_orders()


async def list_experts_and_an_orderer(timers: Timers, *expert_ids: str) -> None:
    async def registry_cmd(command, actor=COORDINATOR, **body):  # type: ignore[no-untyped-def]
        return await request(timers.nc, f"kokemus.registry.cmd.{command}", {"actor": actor, **body})

    await registry_cmd("register_organization", organization_id="mieli", name="Mieli ry", kind="ngo")
    for expert_id in expert_ids:
        await registry_cmd("register_expert", expert_id=expert_id, organization_id="mieli", name=expert_id,
                           email=f"{expert_id}@example.org")
        await registry_cmd("record_training", expert_id=expert_id, completed_on=str(TODAY), trained_by="mieli")
        await registry_cmd("give_consent", actor={"id": expert_id, "role": "expert"}, expert_id=expert_id)
        await registry_cmd("list_expert", expert_id=expert_id, topics=["mental health"])
    await registry_cmd("grant_credentials", orderer_id="school-1", orderer_name="Turku school")

    async def known() -> bool:
        listed = await timers.db.fetchval("SELECT count(*) FROM orders.listed_experts")
        credentials = await timers.db.fetchval("SELECT count(*) FROM orders.orderer_credentials")
        return bool(listed == len(expert_ids) and credentials)
    await eventually(known)


async def place_order(timers: Timers, *candidates: str) -> dict:
    return await timers.cmd("place_order", actor=ORDERER, task_type="lecture", topic="recovery", date=str(TASK_DAY),
                            duration_hours="2", place="Turku", fee={"mode": "recommended"}, candidates=list(candidates))


async def test_after_a_restart_past_the_deadline_the_next_candidate_is_offered_once(timers):
    await list_experts_and_an_orderer(timers, "maija", "pekka")
    placed = await place_order(timers, "maija", "pekka")
    order_id = placed["order_id"]
    assert [(o["expert_id"], o["rank"]) for o in placed["offers"]] == [("maija", 1)]

    await timers.stop_orders()
    timers.clock.now += dt.timedelta(days=8)  # past the week maija's offer was open, while no orders service runs
    replicas = [await timers.start_orders(), await timers.start_orders()]

    async def moved_on():  # type: ignore[no-untyped-def]
        candidates = (await timers.query("get_order", actor=ORDERER, order_id=order_id))["candidates"]
        return candidates if candidates["answered"] else None
    candidates = await eventually(moved_on)
    assert [w["expert_id"] for w in candidates["waiting"]] == ["pekka"]
    assert candidates["answered"] == [{"expert_id": "maija", "answer": "expired"}]

    # Both replicas' jobs keep running; and once more, by hand: the offer to pekka stays the only one.
    assert [await expire_offers(replica.deps) for replica in replicas] == [0, 0]
    offers = (await timers.query("get_order", actor=ORDERER, order_id=order_id))["offers"]
    assert [(o["expert_id"], o["status"], o["reason"]) for o in offers] == [
        ("maija", "expired", "ranked"), ("pekka", "open", "expired")]
    assert await timers.db.fetchval("SELECT count(*) FROM orders.events WHERE event_type = 'OfferMade'") == 2


async def test_after_a_restart_past_the_answer_period_the_engagement_closes_naming_the_missing_form(timers):
    await list_experts_and_an_orderer(timers, "maija")
    placed = await place_order(timers, "maija")
    engagement_id = (await timers.cmd("accept_offer", actor=MAIJA, order_id=placed["order_id"],
                                      offer_id=placed["offers"][0]["offer_id"]))["engagement_id"]
    engagement, contract = uuid.UUID(engagement_id), uuid.uuid4()
    stack = Stack(timers.nc, timers.running[0], timers.db)
    assert await stack.feed("contracts", ContractFullySigned(contract_id=contract, engagement_id=engagement))
    await timers.cmd("confirm_delivery", actor=ORDERER, engagement_id=engagement_id, actual_hours="2")
    assert await stack.feed("contracts", FeeApproved(contract_id=contract, engagement_id=engagement, fee=Decimal(60),
                                                     mileage=Decimal(0), other_expenses=Decimal(0), total=Decimal(60)))
    assert await stack.feed("feedback", FeedbackSubmitted(engagement_id=engagement, form=Form.self_assessment,
                                                          respondent_id="maija", ratings={}))

    async def seen():  # type: ignore[no-untyped-def]
        return await timers.query("get_engagement", actor=ORDERER, engagement_id=engagement_id)
    assert ((await seen())["status"], (await seen())["forms_in"]) == ("fee_approved", ["self_assessment"])

    await timers.stop_orders()
    timers.clock.now += FEEDBACK_ANSWER_PERIOD + dt.timedelta(days=1)
    await timers.start_orders()

    async def closed():  # type: ignore[no-untyped-def]
        view = await seen()
        return view if view["status"] == "closed" else None
    assert (await eventually(closed))["feedback_missing"] == ["orderer_feedback"]
    assert await timers.db.fetchval("SELECT count(*) FROM orders.events WHERE event_type = 'EngagementClosed'") == 1

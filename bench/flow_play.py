"""The flow benchmark's players: a demo that sends each next command as soon as the event it waits for is on the
bus, and the automatic hops between services read back from their event stores (see :mod:`bench.flow`)."""


from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from rich.console import Console

from kokemus.demo import Demo, Person

PLAYING = ("orders", "contracts", "feedback")  # the services whose events cause events in another


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

"""The orders service beside the registry on a real NATS and PostgreSQL, for the integration tests of orders: the
running stack, and the registry's records most tests start from."""

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import nats

from services.registry import service as registry
from shared.envelope import Published
from shared.events import SYSTEM, NewEvent
from shared.eventstore import chain, codec
from shared.messaging.streams import ensure_stream
from shared.runtime.service import ServiceRuntime
from tests.agreement_steps import agree
from tests.callers import request
from tests.conftest import eventually

COORDINATOR = {"id": "coord", "role": "coordinator"}
ORDERER = {"id": "school-1", "role": "orderer"}
EXPERT = {"id": "maija", "role": "expert"}
WARD = {"id": "ward-1", "role": "orderer", "organization_id": "varha"}  # as identity issues it
TODAY = dt.date.today()
TASK_DAY = TODAY + dt.timedelta(days=14)


@dataclass
class Stack:
    nc: nats.NATS
    orders: ServiceRuntime
    db: asyncpg.Connection

    async def registry(self, command, **body):
        return await request(self.nc, f"kokemus.registry.cmd.{command}", body)

    async def registry_query(self, query, **body):
        return await request(self.nc, f"kokemus.registry.query.{query}", body)
    async def agree(self, organization_id, agreement_id, valid_from, valid_until=None):
        """The organization's agreement with the county in force: a contact person appointed, the agreement
        drafted and signed by both parties."""
        await self.registry("appoint_contact_person", actor=COORDINATOR, organization_id=organization_id,
                            person_id="olli", name="Olli", email="olli@example.org")

        async def send(name, actor, body):
            return await request(self.nc, f"kokemus.registry.{name}", {"actor": actor, **body})

        contact = {"id": "olli", "role": "organization_contact", "organization_id": organization_id}
        return await agree(send, COORDINATOR, contact, organization_id, agreement_id, valid_from, valid_until)

    async def cmd(self, command, **body):
        return await request(self.nc, f"kokemus.orders.cmd.{command}", body)

    async def query(self, query, **body):
        return await request(self.nc, f"kokemus.orders.query.{query}", body)

    async def orders_table_has(self, sql, *args):
        """Wait until the orders read tables show what the registry recorded (it travels through JetStream)."""
        return await eventually(lambda: self.db.fetchval(f"SELECT true FROM orders.{sql}", *args))

    async def published(self, event_type):
        js = self.nc.jetstream()

        async def last():
            try:
                message = await js.get_last_msg("KOKEMUS_ORDERS", f"kokemus.orders.events.{event_type}")
            except nats.js.errors.NotFoundError:
                return None
            return json.loads(message.data)

        return await eventually(last)

    async def feed(self, source, payload):
        """Run another service's event through the orders consumer of that source, as JetStream would."""
        [sealed] = codec.seal(f"{source}-{uuid.uuid4()}", 1, chain.GENESIS,
                              [NewEvent(payload, SYSTEM, engagement_id=payload.engagement_id)], {}, {}, service=source)
        [consumer] = [c for c in self.orders.consumers if c.name == f"orders-from-{source}"]
        return await consumer.process(Published.model_validate_json(sealed.model_dump_json()))


@contextlib.asynccontextmanager
async def beside_the_registry(environment) -> AsyncIterator[tuple[nats.NATS, asyncpg.Connection]]:
    """The registry running, the streams orders waits for made, a connection to the bus and one to orders' tables."""
    nc = await nats.connect(environment.nats_url)
    for source in ("contracts", "feedback"):  # not running here; orders waits for their streams to exist
        await ensure_stream(nc.jetstream(), source, 1, 60)
    registry_runtime = ServiceRuntime(registry.definition(), environment.settings("registry"))
    await registry_runtime.start(serve_http=False)
    db = await asyncpg.connect(environment.dsns["orders"])
    try:
        yield nc, db
    finally:
        await db.close()
        await nc.close()
        await registry_runtime.stop()


async def listed_ngo_expert_and_orderer(stack: Stack) -> None:
    """Through the registry's commands: an NGO, its trained and consenting expert in the bank, an orderer."""
    await stack.registry(
        "register_organization", actor=COORDINATOR, organization_id="mieli", name="Mieli ry", kind="ngo"
    )
    await listed_expert(stack, EXPERT, "Maija M")
    await stack.registry("grant_credentials", actor=COORDINATOR, orderer_id="school-1", orderer_name="Turku school")
    await stack.orders_table_has("orderer_credentials WHERE orderer_id = 'school-1'")


async def listed_expert(stack: Stack, expert: dict, name: str) -> None:
    """A member of mieli, through its basic training, consenting and listed in the bank (orders knows of it)."""
    expert_id = expert["id"]
    await stack.registry("register_expert", actor=COORDINATOR, expert_id=expert_id, organization_id="mieli",
                         name=name, email=f"{expert_id}@example.org")
    await stack.registry("record_training", actor=COORDINATOR, expert_id=expert_id, completed_on=str(TODAY),
                         trained_by="mieli")
    await stack.registry("give_consent", actor=expert, expert_id=expert_id)
    await stack.registry("list_expert", actor=COORDINATOR, expert_id=expert_id, topics=["mental health"])
    await stack.orders_table_has(f"listed_experts WHERE expert_id = '{expert_id}'")


async def place_order(stack: Stack, actor=ORDERER, **terms) -> str:
    placed = await stack.cmd("place_order", actor=actor, task_type="lecture", topic="recovery", date=str(TASK_DAY),
                             duration_hours="2", place="Turku", fee={"mode": "recommended"}, **terms)
    return placed["order_id"]

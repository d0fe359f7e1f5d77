"""The registry as its users reach it: over NATS, against real PostgreSQL."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import asyncpg
import nats
import pytest

from services.orders import events as orders
from services.registry.service import definition
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually, upstream

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]
COORDINATOR = {"id": "coord", "role": "coordinator", "organization_id": "varha"}
CONTACT = {"id": "contact-1", "role": "organization_contact", "organization_id": "mieli"}
EXPERT = {"id": "maija", "role": "expert"}
ORDERER = {"id": "school-1", "role": "orderer"}


def cmd(name: str) -> str:
    return f"kokemus.registry.cmd.{name}"


@pytest.fixture
async def registry(environment):
    runtime = ServiceRuntime(definition(), environment.settings("registry"))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    yield nc
    await nc.close()
    await runtime.stop()


async def register_and_list(nc) -> None:
    await request(
        nc,
        cmd("register_organization"),
        {"actor": COORDINATOR, "organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"},
    )
    await request(nc, cmd("register_expert"), {"actor": CONTACT, "expert_id": "maija", "organization_id": "mieli",
                                              "name": "Maija Meikäläinen", "email": "maija@example.org",
                                              "experience": "recovered from depression"})
    await request(
        nc,
        cmd("record_training"),
        {"actor": CONTACT, "expert_id": "maija", "completed_on": "2026-04-30", "trained_by": "mieli"},
    )
    await request(nc, cmd("give_consent"), {"actor": EXPERT, "expert_id": "maija"})
    await request(nc, cmd("list_expert"), {"actor": CONTACT, "expert_id": "maija", "topics": ["mental health"]})


async def test_only_an_orderer_with_credentials_finds_a_listed_expert_and_sees_only_what_they_need(registry):
    await register_and_list(registry)
    with pytest.raises(RemoteError) as refused:
        await request(registry, "kokemus.registry.query.search_bank", {"actor": ORDERER})
    assert refused.value.code == "forbidden" and "credentials" in refused.value.message

    await request(
        registry, cmd("grant_credentials"), {"actor": COORDINATOR, "orderer_id": "school-1", "orderer_name": "Koulu"}
    )
    [found] = await request(
        registry, "kokemus.registry.query.search_bank", {"actor": ORDERER, "topic": "mental health"}
    )
    assert found["expert_id"] == "maija" and found["name"] == "Maija Meikäläinen"
    assert await request(registry, "kokemus.registry.query.search_bank", {"actor": ORDERER, "topic": "media"}) == []

    seen_by_orderer = await request(
        registry, "kokemus.registry.query.get_expert", {"actor": ORDERER, "expert_id": "maija"}
    )
    assert "email" not in seen_by_orderer and "experience" not in seen_by_orderer
    seen_by_contact = await request(
        registry, "kokemus.registry.query.get_expert", {"actor": CONTACT, "expert_id": "maija"}
    )
    assert seen_by_contact["email"] == "maija@example.org"


async def test_listing_an_expert_without_training_is_refused_with_the_reason(registry):
    await request(
        registry,
        cmd("register_organization"),
        {"actor": COORDINATOR, "organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"},
    )
    await request(
        registry,
        cmd("register_expert"),
        {"actor": CONTACT, "expert_id": "pekka", "organization_id": "mieli", "name": "Pekka", "email": "p@example.org"},
    )
    await request(registry, cmd("give_consent"), {"actor": {"id": "pekka", "role": "expert"}, "expert_id": "pekka"})
    with pytest.raises(RemoteError) as refused:
        await request(registry, cmd("list_expert"), {"actor": CONTACT, "expert_id": "pekka", "topics": ["x"]})
    assert refused.value.code == "validation"
    assert refused.value.fields == [
        {"field": "expert_id", "reason": "has not completed a basic training", "allowed": "a trained expert"}
    ]


async def test_personal_data_is_sealed_in_the_store_and_on_the_bus_and_erasure_reaches_both(environment, registry):
    await register_and_list(registry)
    conn = await asyncpg.connect(environment.dsns["registry"])
    try:
        stored = await conn.fetchval("SELECT payload::text FROM registry.events WHERE event_type = 'ExpertRegistered'")
        assert "Maija" not in stored and "maija@example.org" not in stored and "depression" not in stored
        assert await conn.fetchval("SELECT count(*) FROM registry.bank") == 1
    finally:
        await conn.close()

    js = registry.jetstream()

    async def registered_on_bus():
        info = await js.stream_info("KOKEMUS_REGISTRY")
        for seq in range(1, info.state.last_seq + 1):
            message = await js.get_msg("KOKEMUS_REGISTRY", seq)
            if message.subject.endswith("ExpertRegistered"):
                return message
        return None
    message = await eventually(registered_on_bus)
    assert b"Maija" not in message.data and "$encrypted" in json.loads(message.data)["payload"]["name"]

    await request(registry, cmd("erase_expert"), {"actor": EXPERT, "expert_id": "maija"})
    profile = await request(registry, "kokemus.registry.query.get_expert", {"actor": COORDINATOR, "expert_id": "maija"})
    assert profile["name"] is None and profile["email"] is None and profile["erased"] is True
    assert await request(registry, "kokemus.registry.query.search_bank", {"actor": COORDINATOR}) == []
    report = await request(registry, "kokemus.registry.query.verify", {"actor": {"id": "a", "role": "auditor"}})
    assert report["intact"] is True


async def test_a_command_sent_again_after_a_lost_reply_gets_the_same_answer_and_records_once(environment, registry):
    import uuid

    await request(
        registry,
        cmd("register_organization"),
        {"actor": COORDINATOR, "organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"},
    )
    command = {"actor": CONTACT, "expert_id": "pekka", "organization_id": "mieli", "name": "Pekka",
               "email": "p@example.org", "command_id": str(uuid.uuid4())}
    first = await request(registry, cmd("register_expert"), command)
    again = await request(registry, cmd("register_expert"), command)
    assert again == first
    with pytest.raises(RemoteError) as twice:  # a new command to do the same thing is a real conflict
        await request(registry, cmd("register_expert"), {**command, "command_id": str(uuid.uuid4())})
    assert twice.value.code == "conflict"
    conn = await asyncpg.connect(environment.dsns["registry"])
    try:
        assert await conn.fetchval("SELECT count(*) FROM registry.events WHERE event_type = 'ExpertRegistered'") == 1
    finally:
        await conn.close()


@pytest.mark.services("registry", "orders")
async def test_engagements_of_an_orders_service_started_after_the_registry_count_as_assignments(environment, registry):
    """The registry started while the orders service had no stream yet: it answered meanwhile, and consumes the
    orders service's events once they exist, from the first."""
    await register_and_list(registry)

    async def assignments() -> list[tuple[str, int]]:
        page = await request(registry, "kokemus.registry.query.find_experts", {"actor": COORDINATOR})
        return [(found["expert_id"], found["recent_assignments"]) for found in page["results"]]

    assert await assignments() == [("maija", 0)]
    async with upstream(environment, "orders") as orders_side:
        for _ in range(2):
            engagement_id = uuid.uuid4()
            await orders_side.record(engagement_id, orders.EngagementOpened(
                engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
                orderer_id="school-1", task_type=orders.TaskType.lecture, topic="recovery",
                date=dt.date.today() + dt.timedelta(days=7), duration_hours=Decimal("2"), remote=True,
                fee=orders.FeeTerms(mode=orders.FeeMode.recommended)))

        async def both_counted() -> bool:
            return await assignments() == [("maija", 2)]
        await eventually(both_counted)

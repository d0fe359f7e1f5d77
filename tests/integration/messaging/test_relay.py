"""The messaging kernel against a real NATS and PostgreSQL: the outbox relay."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import asyncpg
import pytest
from faststream.nats import NatsBroker

from kokemus.stack.servers import EmbeddedNats, free_port
from shared.events import Actor, NewEvent, Role
from shared.eventstore.postgres import PostgresEventStore
from shared.messaging.relay import OutboxRelay
from shared.messaging.streams import ensure_stream
from tests.callers import request
from tests.conftest import eventually
from tests.integration.messaging.toy import (
    COORDINATOR,
    AlphaNoted,
    relay_failing,
    stream_count,
    stream_messages,
)

pytestmark = pytest.mark.integration


# -- relay ---------------------------------------------------------------------------------------------

async def test_the_relay_publishes_every_committed_event_in_order_with_its_id(alpha, client):
    for n in range(30):
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"n{n % 3}", "n": n})

    async def all_published():
        return len(await stream_messages(client, "KOKEMUS_ALPHA")) == 30

    await eventually(all_published)
    messages = await stream_messages(client, "KOKEMUS_ALPHA")
    bodies = [json.loads(m.data) for m in messages]
    assert [b["payload"]["n"] for b in bodies] == list(range(30))
    assert all(m.headers["Nats-Msg-Id"] == b["event_id"] for m, b in zip(messages, bodies, strict=False))
    assert all(m.subject == "kokemus.alpha.events.AlphaNoted" for m in messages)
    recorded = await alpha.store.read_all(limit=100)
    assert [str(e.event_id) for e in recorded] == [b["event_id"] for b in bodies]
    config = (await client.jetstream().stream_info("KOKEMUS_ALPHA")).config
    assert config.deny_delete and config.deny_purge and config.duplicate_window == 600 and config.num_replicas == 1
    with pytest.raises(Exception, match=r"(?i)purge|denied|not permitted"):
        await client.jetstream().purge_stream("KOKEMUS_ALPHA")


async def test_the_relay_resumes_after_nats_is_stopped_and_restarted_and_loses_nothing(servers, databases):
    folder = Path(tempfile.mkdtemp(prefix="kokemus-outage-"))
    own_nats = EmbeddedNats(folder, port=free_port())
    own_nats.start()
    pool = await asyncpg.create_pool(databases["alpha"], min_size=1, max_size=4)
    store = PostgresEventStore(pool, "alpha", "alpha", (AlphaNoted,))
    broker = NatsBroker(own_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    await broker.connect()
    js = broker.connection.jetstream()
    await ensure_stream(js, "alpha", 1, 600)
    relay = OutboxRelay(store, broker, poll_seconds=0.2, publish_timeout=1)
    task = asyncio.create_task(relay.run())
    actor = Actor(id="c1", role=Role.coordinator)
    try:
        for n in range(10):
            await store.append(f"s{n}", 0, [NewEvent(AlphaNoted(n=n), actor)])
        async def first_ten():
            return await stream_count(js) == 10
        await eventually(first_ten, timeout=20)

        own_nats.kill()  # the outage: events keep being recorded meanwhile
        for n in range(10, 25):
            await store.append(f"s{n}", 0, [NewEvent(AlphaNoted(n=n), actor)])
        await eventually(lambda: relay_failing(relay), timeout=20)

        own_nats.start()  # same port, same data folder
        async def all_there():
            return await stream_count(js) == 25
        await eventually(all_there, timeout=40)
        ns = [json.loads((await js.get_msg("KOKEMUS_ALPHA", seq)).data)["payload"]["n"] for seq in range(1, 26)]
        assert ns == list(range(25)), "every event once, in order"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await broker.stop()
        await pool.close()
        own_nats.stop()


async def test_a_commit_wakes_its_own_processs_leading_relay_directly_and_another_replicas_by_notify(
        servers, databases):
    """The relay polls only every 30 s here: each event reaches the bus within the test only because a wake
    reached the relay. A commit in the relay's own process needs no NOTIFY; a commit in another replica (its own
    store, whose relay does not lead) sends one."""
    pool = await asyncpg.create_pool(databases["alpha"], min_size=1, max_size=4)
    here = PostgresEventStore(pool, "alpha", "alpha", (AlphaNoted,))
    elsewhere = PostgresEventStore(pool, "alpha", "alpha", (AlphaNoted,))
    listener = await asyncpg.connect(databases["alpha"])
    notified: list[str] = []
    await listener.add_listener("alpha_events", lambda *args: notified.append(args[2]))
    broker = NatsBroker(servers.nats_url)
    await broker.connect()
    js = broker.connection.jetstream()
    await ensure_stream(js, "alpha", 1, 600)
    relay = OutboxRelay(here, broker, poll_seconds=30)
    task = asyncio.create_task(relay.run())
    actor = Actor(id="c1", role=Role.coordinator)

    def published(count: int):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            return await stream_count(js) == count
        return check

    async def leading() -> bool:
        return relay.is_leader

    try:
        await eventually(leading, timeout=10)
        await asyncio.sleep(0.1)  # the relay's first look at the log is over: it waits for a wake now
        await here.append("here-1", 0, [NewEvent(AlphaNoted(n=1), actor)])
        await eventually(published(1), timeout=10)
        await asyncio.sleep(0.1)  # a NOTIFY, had one been sent, would have reached the listener by now
        assert notified == []
        await elsewhere.append("elsewhere-1", 0, [NewEvent(AlphaNoted(n=2), actor)])
        await eventually(published(2), timeout=10)
        assert notified, "the other replica's commit was announced through PostgreSQL"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await broker.stop()
        await listener.close()
        await pool.close()

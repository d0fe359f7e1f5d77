"""The relay never stops for one event: an event the bus keeps refusing is parked (kept in the store, reported
on /readyz and in the metrics), the events after it are published as usual, and once the cause is mended it is
published again and reaches its consumers, with nothing lost.

The bus refuses here because the registry's stream is made to take only small messages, as a too-small
``max_payload`` or a missing permission would refuse an event in a real deployment.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import nats
import pytest

from kokemus.stack.servers import free_port
from services import definitions
from shared.messaging.rpc import request
from shared.messaging.streams import ensure_stream, stream_name
from shared.runtime.service import ServiceRuntime
from tests.callers import token_for
from tests.conftest import eventually

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

COORDINATOR = {"id": "anna", "role": "coordinator"}


async def organization_in_orders(runtime: ServiceRuntime, organization_id: str) -> bool:
    return bool(await runtime.pool.fetchval(
        "SELECT true FROM orders.organizations WHERE organization_id = $1", organization_id))


async def set_largest_message(nc: nats.NATS, size: int) -> None:
    js = nc.jetstream()
    config = (await js.stream_info(stream_name("registry"))).config
    config.max_msg_size = size
    await js.update_stream(config)


async def test_an_event_the_bus_refuses_is_parked_reported_and_published_again_once_mended(environment):
    port = free_port()
    registry = ServiceRuntime(definitions()["registry"], environment.settings("registry", http_port=port))
    orders = ServiceRuntime(definitions()["orders"], environment.settings("orders"))
    nc = await nats.connect(environment.nats_url)
    for quiet_source in ("contracts", "feedback"):  # orders waits for every stream it reads to exist
        await ensure_stream(nc.jetstream(), quiet_source, 1, 60)
    await registry.start()
    await orders.start(serve_http=False)
    token = token_for(COORDINATOR)

    async def register(organization_id: str, name: str) -> None:
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"organization_id": organization_id, "name": name, "kind": "ngo"}, token=token)

    async def parked() -> list[dict]:
        return await request(nc, "kokemus.registry.query.parked_events", {}, token=token)

    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await register("first", "First")
            await eventually(lambda: organization_in_orders(orders, "first"))
            assert (await http.get("/readyz")).status_code == 200

            # The bus now takes messages the size of the first one (and a little more), not 200 characters more.
            first_size = (await nc.jetstream().stream_info(stream_name("registry"))).state.bytes
            await set_largest_message(nc, first_size + 40)
            await register("large", "A name that makes the event too large for the bus".ljust(200, "."))
            [waiting] = await eventually(parked)
            assert waiting["event_type"] == "OrganizationRegistered" and waiting["republished_at"] is None
            assert "maximum" in waiting["error"] or "size" in waiting["error"], waiting["error"]

            # The relay goes on: the next event is published and takes effect.
            await register("after", "After")
            await eventually(lambda: organization_in_orders(orders, "after"))
            assert not await organization_in_orders(orders, "large")

            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert "1 event(s) parked" in json.loads(ready.text)["problems"]["relay"]
            assert 'kokemus_relay_parked_events{service="registry"} 1.0' in (await http.get("/metrics")).text

            # Mended (the bus takes larger messages again), the event is published again and nothing is lost.
            await set_largest_message(nc, -1)
            result = await request(nc, "kokemus.registry.cmd.republish_parked_event",
                                   {"event_id": waiting["event_id"]}, token=token)
            assert result
            await eventually(lambda: organization_in_orders(orders, "large"))
            [done] = await parked()
            assert done["republished_at"] is not None
            assert (await http.get("/readyz")).status_code == 200
            assert 'kokemus_relay_parked_events{service="registry"} 0.0' in (await http.get("/metrics")).text
            assert await registry.store.count() == 3
    finally:
        await nc.close()
        await asyncio.gather(orders.stop(), registry.stop())

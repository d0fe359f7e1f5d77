"""The bus as `kokemus up` runs it: authentication on, each service and client a NATS user with the
deployment's permissions (deploy/nats/permissions.yaml). Nobody connects without credentials; a service's user
publishes only its own events; an event published by anyone but its owner never reaches a consumer; no client
reads another's replies; and the services work as before."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import nats
import pytest

from kokemus.stack.bus_users import ADMIN, load_matrix, server_config, user_names
from kokemus.stack.servers import EmbeddedNats, free_port
from services import definitions
from shared.messaging.rpc import request
from shared.messaging.streams import ensure_stream
from shared.runtime.service import ServiceRuntime
from tests.callers import token_for
from tests.conftest import eventually, service_settings

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

COORDINATOR = {"id": "anna", "role": "coordinator"}


@dataclass
class Bus:
    url: str
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    matrix = load_matrix()
    passwords = {user: secrets.token_urlsafe(16) for user in user_names(matrix)}
    server = EmbeddedNats(tmp_path_factory.mktemp("nats"), port=free_port(), config=server_config(matrix, passwords))
    server.start()
    try:
        yield Bus(server.url, passwords)
    finally:
        server.stop()


class Client:
    """One user's connection, keeping the permission violations the server reports to it."""

    def __init__(self, nc: nats.NATS, violations: list[str]) -> None:
        self.nc, self.violations = nc, violations

    async def reported(self) -> str | None:
        await self.nc.flush()
        for _ in range(40):
            if self.violations:
                return self.violations[-1]
            await asyncio.sleep(0.025)
        return None


async def connect(bus: Bus, user: str | None, password: str | None = None) -> Client:
    violations: list[str] = []

    async def on_error(error: Exception) -> None:
        violations.append(str(error))

    credentials = {"user": user, "password": password or bus.passwords[user], "inbox_prefix": f"_INBOX_{user}"} \
        if user else {}
    nc = await nats.connect(bus.url, allow_reconnect=False, connect_timeout=3, error_cb=on_error, **credentials)
    return Client(nc, violations)


@pytest.fixture
async def running(bus: Bus, environment) -> AsyncIterator[Client]:
    """The registry and orders, each as its own user; the streams orders reads made by the stack's admin."""
    admin = await connect(bus, ADMIN)
    for name in ("registry", "orders", "contracts", "feedback"):
        stream = f"KOKEMUS_{name.upper()}"
        if stream in [info.config.name for info in await admin.nc.jetstream().streams_info()]:
            await admin.nc.jetstream().delete_stream(stream)
    for quiet in ("contracts", "feedback"):
        await ensure_stream(admin.nc.jetstream(), quiet, 1, 60)
    runtimes = [ServiceRuntime(definitions()[name], service_settings(
        bus.url, environment.dsns[name], name, nats_user=name, nats_password=bus.passwords[name]))
        for name in ("registry", "orders")]
    for runtime in runtimes:
        await runtime.start(serve_http=False)
    cli = await connect(bus, "cli")
    try:
        yield cli
    finally:
        await cli.nc.close()
        await admin.nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


async def organizations_in_orders(environment) -> set[str]:
    import asyncpg

    conn = await asyncpg.connect(environment.dsns["orders"])
    try:
        return {row["organization_id"] for row in await conn.fetch("SELECT organization_id FROM orders.organizations")}
    finally:
        await conn.close()


@pytest.mark.parametrize("who", [None, "wrong password"], ids=["anonymous", "wrong-password"])
async def test_nobody_connects_without_credentials(bus: Bus, who: str | None):
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await connect(bus, "registry" if who else None, "guess" if who else None)


async def test_the_services_work_as_their_own_users_and_a_forged_event_never_reaches_a_consumer(running, environment):
    cli = running
    await request(cli.nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}, token=token_for(COORDINATOR))
    await eventually(lambda: _has(environment, "mieli"))

    # The command line, or anyone who is not the registry, publishing into the registry's events: refused.
    forged = {"event_id": str(uuid.uuid4()), "stream_id": "organization-forged", "version": 1,
              "event_type": "OrganizationRegistered", "payload": {"organization_id": "forged", "name": "F",
                                                                  "kind": "ngo"}}
    await cli.nc.publish("kokemus.registry.events.OrganizationRegistered", json.dumps(forged).encode())
    assert "permissions violation" in ((await cli.reported()) or "").lower()

    # A second organization, registered properly after the forgery, arrives; the forged one never does.
    await request(cli.nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "after", "name": "After", "kind": "ngo"}, token=token_for(COORDINATOR))
    await eventually(lambda: _has(environment, "after"))
    assert "forged" not in await organizations_in_orders(environment)


async def _has(environment, organization_id: str) -> bool:
    return organization_id in await organizations_in_orders(environment)


async def test_a_service_publishes_only_its_own_events(bus: Bus, running):
    registry = await connect(bus, "registry")
    try:
        await registry.nc.publish("kokemus.orders.events.OrderPlaced", b"{}")
        assert "permissions violation" in ((await registry.reported()) or "").lower()
    finally:
        await registry.nc.close()


async def test_no_client_reads_anothers_replies(bus: Bus, running):
    web = await connect(bus, "web")
    try:
        for inbox in ("_INBOX_cli.>", "_INBOX.>", "_INBOX_registry.>"):
            web.violations.clear()
            await web.nc.subscribe(inbox)
            assert "permissions violation" in ((await web.reported()) or "").lower(), inbox
    finally:
        await web.nc.close()

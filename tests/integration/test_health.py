"""Liveness, readiness and metrics as the platform's probes and scrapers see them."""

import json
import time
import urllib.error
import urllib.request

import pytest

from services.registry.service import definition
from shared.runtime.service import ServiceRuntime
from kokemus.stack.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]


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

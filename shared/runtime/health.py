"""Liveness, readiness and metrics over HTTP, for the platform's probes and scrapers.

``/healthz``: the process runs. ``/readyz``: its PostgreSQL and NATS answer and its relay is not stuck.
``/metrics``: Prometheus text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]


def health_app(readiness: ReadinessCheck):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        path = scope.get("path", "")
        if path == "/healthz":
            status, body, kind = 200, b'{"status":"alive"}', b"application/json"
        elif path == "/readyz":
            problems = await readiness()
            status = 503 if problems else 200
            body = json.dumps({"status": "not ready" if problems else "ready", "problems": problems}).encode()
            kind = b"application/json"
        elif path == "/metrics":
            status, body, kind = 200, generate_latest(), CONTENT_TYPE_LATEST.encode()
        else:
            status, body, kind = 404, b'{"error":"not found"}', b"application/json"
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]})
        await send({"type": "http.response.body", "body": body})

    return app


class _EndpointsServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The service owns SIGTERM and SIGINT: uvicorn would take them over and stop only these endpoints.
        yield


class HealthServer:
    """The running endpoints; :meth:`stop` waits until they have closed, so nothing is cut off at exit."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        self.server = server
        self.task = task

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve_health(host: str, port: int, readiness: ReadinessCheck) -> HealthServer:
    # No lifespan: the app holds nothing to start or stop, and uvicorn's lifespan task was cancelled with a
    # logged CancelledError on every stop.
    config = uvicorn.Config(health_app(readiness), host=host, port=port, log_level="warning", lifespan="off")
    server = _EndpointsServer(config)
    # Bind here, so a taken port is a clear error at start (uvicorn would exit the whole process instead).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise OSError(f"the health endpoint cannot listen on {host} port {port} ({error.strerror}): "
                      f"choose another with KOKEMUS_HTTP_PORT (or KOKEMUS_HTTP_HOST)") from None
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.02)
    return HealthServer(server, task)

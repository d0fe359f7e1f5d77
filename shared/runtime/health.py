"""Liveness, readiness and metrics over HTTP, for the platform's probes and scrapers.

``/healthz``: the process runs. ``/readyz``: its PostgreSQL and NATS answer and its relay is not stuck.
``/metrics``: Prometheus text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.runtime.http import QuietSignalsServer, listen

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
    server = QuietSignalsServer(config)
    listener = listen(host, port, "the health endpoint", "HTTP")
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.02)
    return HealthServer(server, task)

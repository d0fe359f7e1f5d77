"""The whole system for the web tests, in this process: every service on the test session's NATS and
PostgreSQL (the development sign-in on), and the web under uvicorn on a free loopback port."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet

from kokemus.stack.provision import drop_database, provision
from services import SERVICE_NAMES, definitions
from services.web.serve import listen, server
from services.web.settings import WebSettings
from shared.runtime.service import ServiceRuntime
from tests.conftest import Servers, delete_kokemus_streams, service_settings


@dataclass
class RunningWeb:
    url: str
    settings: WebSettings


def web_settings(nats_url: str, port: int, **overrides: Any) -> WebSettings:
    values: dict[str, Any] = {"nats_url": nats_url, "web_host": "127.0.0.1", "web_port": port,
                              "web_public_url": f"http://127.0.0.1:{port}", "development_sign_in": True,
                              "web_cookie_key": Fernet.generate_key().decode()}
    values.update(overrides)
    return WebSettings(**values)


@asynccontextmanager
async def running_web(settings: WebSettings, listener: Any = None) -> AsyncIterator[RunningWeb]:
    listener = listener or listen(settings.web_host, settings.web_port)
    web = server(settings)
    task = asyncio.create_task(web.serve(sockets=[listener]))
    while not web.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield RunningWeb(settings.web_public_url, settings)
    finally:
        web.should_exit = True
        await task


@asynccontextmanager
async def running_services(servers: Servers, names: tuple[str, ...] = SERVICE_NAMES,
                           **overrides: Any) -> AsyncIterator[list[ServiceRuntime]]:
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    await delete_kokemus_streams(servers.nats_url)
    dsns = await provision(servers.admin_dsn, database, {name: definitions()[name].sql for name in names})
    runtimes = [ServiceRuntime(definitions()[name], service_settings(
        servers.nats_url, dsns[name], name, development_sign_in=True, **overrides)) for name in names]
    try:
        await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
        yield runtimes
    finally:
        for runtime in reversed(runtimes):
            await runtime.stop()
        await delete_kokemus_streams(servers.nats_url)
        await drop_database(servers.admin_dsn, database)


@asynccontextmanager
async def system_with_web(servers: Servers, names: tuple[str, ...] = SERVICE_NAMES) -> AsyncIterator[str]:
    """The services (every one unless named) and the web on a free loopback port: the web's address."""
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    async with running_services(servers, names), \
            running_web(web_settings(servers.nats_url, port), listener) as running:
        yield running.url

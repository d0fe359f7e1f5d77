"""Running the web: ``kokemus serve web`` (uvicorn on ``KOKEMUS_WEB_HOST``:``KOKEMUS_WEB_PORT``), and what a
supervisor such as ``kokemus up`` needs to start it as a process of its own."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys

import uvicorn
from cryptography.fernet import Fernet

from services.web.app import create_app
from services.web.settings import WebSettings
from shared.runtime.http import QuietSignalsServer, listen as bind

log = logging.getLogger("kokemus.web")


def listen(host: str, port: int) -> socket.socket:
    return bind(host, port, "the web", "WEB")


def server(settings: WebSettings) -> uvicorn.Server:
    # No access log: a path may name a record, and the log is no place for who looked at what.
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on",
                            proxy_headers=True, server_header=False)
    return QuietSignalsServer(config)


async def serve_until_stopped(settings: WebSettings) -> None:
    listener = listen(settings.web_host, settings.web_port)
    web = server(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    task = asyncio.create_task(web.serve(sockets=[listener]))
    log.info("the web listens on %s (public address %s)", f"{settings.web_host}:{settings.web_port}",
             settings.web_public_url)
    await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    log.info("the web is stopping: finishing the requests it holds")
    web.should_exit = True
    await task
    log.info("the web stopped")


def web_process_args(nats_url: str, port: int = 8000, *, host: str = "127.0.0.1", development_sign_in: bool = True,
                     cookie_key: str | None = None) -> tuple[list[str], dict[str, str], str]:
    """How ``kokemus up`` starts the web: the command, its environment and the address to print.

    The embedded stack serves plain http on this machine, so the cookie is not marked Secure there; the key
    is made afresh unless given (a restart then signs everyone out, which is fine for trying things out).
    """
    address = f"http://{host}:{port}"
    env = {**os.environ, "KOKEMUS_NATS_URL": nats_url, "KOKEMUS_WEB_HOST": host, "KOKEMUS_WEB_PORT": str(port),
           "KOKEMUS_WEB_PUBLIC_URL": address,
           "KOKEMUS_WEB_COOKIE_KEY": cookie_key or os.environ.get("KOKEMUS_WEB_COOKIE_KEY")
           or Fernet.generate_key().decode(),
           "KOKEMUS_DEVELOPMENT_SIGN_IN": "true" if development_sign_in else "false"}
    return [sys.executable, "-m", "kokemus", "serve", "web"], env, address

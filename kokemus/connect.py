"""How the command line reaches the running system: the NATS URL from settings, and the actor it speaks as."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import nats

from shared.settings import load_settings


@contextlib.asynccontextmanager
async def connection(url: str | None = None) -> AsyncIterator[nats.NATS]:
    settings = load_settings()

    async def quiet(_: Exception) -> None:  # a failed attempt is reported once, by the caller, not as a traceback
        return None

    nc = await nats.connect(servers=url or settings.nats_servers(), user=settings.nats_user,
                            password=settings.nats_password, connect_timeout=5, max_reconnect_attempts=2,
                            error_cb=quiet)
    try:
        yield nc
    finally:
        await nc.drain()

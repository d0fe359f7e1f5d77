"""The command line signed in, for tests that run it against services: an identity service with the
development sign-in on (as on the embedded stack), a person signed in through it, and the session kept where the
command line reads it (``KOKEMUS_CLI_SESSION``). Services the command line asks must accept development tokens:
start them with ``development_sign_in=True``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from kokemus.login import StoredSession, development_sign_in
from services import definitions
from shared.runtime.service import ServiceRuntime
from shared.settings import load_settings


@contextlib.asynccontextmanager
async def command_line_signed_in(environment, monkeypatch: pytest.MonkeyPatch, folder: Path,  # type: ignore[no-untyped-def]
                                 **who: str) -> AsyncIterator[None]:
    identity = ServiceRuntime(definitions()["identity"], environment.settings("identity", development_sign_in=True))
    await identity.start(serve_http=False)
    try:
        nc = await nats.connect(environment.nats_url)
        try:
            answer = await development_sign_in(nc, **who)
        finally:
            await nc.close()
        path = StoredSession(answer["session"], {}).save(folder / "session.json")
        monkeypatch.setenv("KOKEMUS_CLI_SESSION", str(path))
        monkeypatch.setenv("KOKEMUS_NATS_URL", environment.nats_url)
        load_settings.cache_clear()
        yield
    finally:
        load_settings.cache_clear()
        await identity.stop()

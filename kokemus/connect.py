"""How the command line reaches the running system: the NATS URL from settings; who is asking (the session
``kokemus login`` keeps, turned into a fresh signed token as needed); and how a command that cannot do its work
ends: one red line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, NoReturn, TypeVar

import nats
import typer
from nats.aio.client import Client as NATS
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

from kokemus.login import StoredSession, fresh_token, session_file
from shared.messaging.access import NatsAccess
from shared.messaging.rpc import RemoteError, request
from shared.settings import load_settings

T = TypeVar("T")
CLI_USER = "cli"  # the command line's NATS user (deploy/nats/permissions.yaml)
errors = Console(stderr=True)


class CommandFailed(Exception):
    """A command cannot do what was asked; the message says why (and ``run`` says it)."""


def access() -> NatsAccess:
    """Where and as whom the command line connects: the settings, or on the embedded stack (no user set) its
    command-line user, whose password the stack keeps in its data folder."""
    settings: NatsAccess = load_settings()
    if settings.nats_user is None:
        from kokemus.stack.keys import StackKeys
        from kokemus.stack.up import default_data_dir

        password = StackKeys.of(default_data_dir()).known_nats_passwords().get(CLI_USER)
        if password is not None:
            settings = settings.model_copy(update={"nats_user": CLI_USER, "nats_password": SecretStr(password)})
    return settings


@contextlib.asynccontextmanager
async def connection(url: str | None = None) -> AsyncIterator[NATS]:
    settings = access()

    async def quiet(_: Exception) -> None:  # a failed attempt is reported once, by the caller, not as a traceback
        return None

    options = settings.nats_connect_options()
    if url:
        options["servers"] = [url]
    nc = await nats.connect(**options, connect_timeout=5, max_reconnect_attempts=2,
                            error_cb=quiet)
    try:
        yield nc
    finally:
        await nc.drain()


class Caller:
    """A signed-in person's connection: every request carries a token made from their session, renewed well
    before it expires, so a long command keeps the person's rights as they are now."""

    TOKEN_REUSE_SECONDS = 30.0  # tokens live 60 s by default

    def __init__(self, nc: NATS, session: StoredSession) -> None:
        self.nc = nc
        self.session = session
        self._token: tuple[str, float] | None = None

    async def token(self) -> str:
        if self._token is None or time.monotonic() - self._token[1] > self.TOKEN_REUSE_SECONDS:
            try:
                self._token = (await fresh_token(self.nc, self.session), time.monotonic())
            except RemoteError as error:
                if error.code in ("unauthenticated", "not_found", "validation"):
                    raise CommandFailed(f"your session has ended ({error.message}): sign in again with "
                                        "`kokemus login`") from None
                raise
        return self._token[0]

    async def ask(self, subject: str, body: dict[str, Any], *, timeout: float = 10.0) -> Any:
        return await request(self.nc, subject, body, token=await self.token(), timeout=timeout)


@contextlib.asynccontextmanager
async def signed_in(url: str | None = None) -> AsyncIterator[Caller]:
    """The connection of the person signed in at this terminal; a clear error when nobody is."""
    stored = StoredSession.load()
    if stored is None:
        raise CommandFailed(f"nobody is signed in here (no session in {session_file()}): run `kokemus login`, "
                            "or on the embedded stack `kokemus login --dev --staff coordinator`")
    async with connection(url) as nc:
        yield Caller(nc, stored)


def fail(message: str) -> NoReturn:
    errors.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(1)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine. A service's error reply, a failed command, or no NATS at all ends the
    command with one line and exit code 1."""
    # nats-py reports each failed connection attempt with a traceback through logging's last resort;
    # the one red line below says it better.
    logging.getLogger("nats").addHandler(logging.NullHandler())
    try:
        return asyncio.run(work)
    except (RemoteError, CommandFailed) as error:
        fail(str(error))
    except nats.errors.Error as error:
        fail(f"cannot reach the system over NATS: {error or type(error).__name__}")
    except TimeoutError as error:  # a command that gave up waiting says what it waited for
        fail(str(error) or "timed out")
    except OSError as error:
        fail(f"cannot reach the system over NATS: {error or type(error).__name__}")

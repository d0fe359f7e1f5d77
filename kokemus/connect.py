"""How the command line reaches the running system: the NATS URL from settings, and how a command that
cannot do its work ends: one red line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any, NoReturn, TypeVar

import nats
import typer
from rich.console import Console
from rich.markup import escape

from shared.messaging.rpc import RemoteError
from shared.settings import load_settings

T = TypeVar("T")
errors = Console(stderr=True)


class CommandFailed(Exception):
    """A command cannot do what was asked; the message says why (and ``run`` says it)."""


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

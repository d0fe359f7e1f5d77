"""The ``kokemus`` command line.

    kokemus up [--demo]          the whole system on this machine (embedded NATS and PostgreSQL)
    kokemus serve SERVICE        one service (what a Kubernetes pod runs); `kokemus serve web`: the web
    kokemus migrate SERVICE      create or update that service's tables (safe to run twice)
    kokemus asyncapi [--check]   write (or check) each service's AsyncAPI document
    kokemus demo                 play engagements end to end through the services' NATS commands
    kokemus audit history ID     an engagement's audit trail;  kokemus audit verify
    kokemus events tail          print events as they are published
    kokemus dlq list|replay      dead letters of a service
    kokemus relay parked|republish   events the bus refused, set aside by a service's relay
    kokemus login | logout | whoami  who the command line acts for (commands above act as that person)
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from services import SERVICE_NAMES
from shared.settings import SettingsError, load_settings

app = typer.Typer(help="kokemus: coordinating experience experts", no_args_is_help=True, add_completion=False)
console = Console()


WEB = "web"  # not an event-sourced service: no stream, no tables, so not one of SERVICE_NAMES


def _service_name(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"unknown service {name!r}; choose one of: {', '.join(SERVICE_NAMES)}")
    return name


def _servable(name: str) -> str:
    return name if name == WEB else _service_name(name)


def _serve_web() -> None:
    from services.web.serve import serve_until_stopped
    from services.web.settings import load_web_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s web %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_web_settings()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    try:
        asyncio.run(serve_until_stopped(settings))
    except OSError as error:
        console.print(f"[red]the web could not start: {error}[/red]")
        raise typer.Exit(1) from None


@app.command()
def serve(service: str = typer.Argument(..., callback=_servable,
                                        help="registry, orders, contracts, feedback, audit, identity, or web"),
          migrate_first: bool = typer.Option(False, "--migrate",
                                             help="apply the service's migrations before serving")) -> None:
    """Run one service (or the web) until SIGTERM or Ctrl-C."""
    if service == WEB:
        _serve_web()
        return
    from services import definition
    from shared.runtime.service import ServiceRuntime

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        settings.dsn()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    runtime = ServiceRuntime(definition(service), settings)
    try:
        asyncio.run(runtime.run_until_signalled(run_migrations=migrate_first))
    except OSError as error:  # a port taken, a server that does not answer: say which, no traceback
        console.print(f"[red]{service} could not start: {error}[/red]")
        raise typer.Exit(1) from None


@app.command()
def migrate(service: str = typer.Argument(..., callback=_service_name)) -> None:
    """Create or bring up to date the service's schema; run it with the schema owner's credentials."""
    import asyncpg

    from services import definition
    from shared.database import migrate as run_migrations

    try:
        settings = load_settings()
        dsn = settings.dsn()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await run_migrations(conn, settings.schema_for(service), definition(service).sql,
                                 runtime_role=settings.db_runtime_role)
        finally:
            await conn.close()

    asyncio.run(run())
    console.print(f"{service}: schema {settings.schema_for(service)} is up to date")


@app.command()
def up(
    demo: bool = typer.Option(False, "--demo", help="play one demo engagement once the stack is ready"),
    data_dir: Path = typer.Option(None, help="where the data is kept (default ./.kokemus or KOKEMUS_DATA_DIR)"),
) -> None:
    """Bring the whole system up on this machine; Ctrl-C or SIGTERM stops it cleanly."""
    from kokemus.stack import signals
    from kokemus.stack.servers import StackError
    from kokemus.stack.up import Stack, config_from_environment

    try:
        stack = Stack(config_from_environment(data_dir))
        # The demo below, like any command run with this variable, finds the stack's keys and NATS users there.
        os.environ["KOKEMUS_DATA_DIR"] = str(stack.config.data_dir)
    except StackError as error:
        _up_failed(error)
    signals.install()  # from here on SIGINT and SIGTERM arrive as KeyboardInterrupt, also in a background job
    try:
        console.print("starting NATS, PostgreSQL and the services …")
        stack.start()
        console.print(stack.describe())
        if demo:
            _play_demo(stack.nats_url)
        console.print("[green]running; press Ctrl-C to stop[/green]")
        stack.supervise()
    except StackError as error:
        _up_failed(error)
    except KeyboardInterrupt:
        console.print("stopping …")
    finally:
        stack.stop()
        console.print("stopped")


def _up_failed(error: Exception) -> NoReturn:
    console.print(f"[red]kokemus up failed: {error}[/red]")
    raise typer.Exit(1)


def _play_demo(nats_url: str) -> None:
    """A failed demo is said, and the stack keeps running for a look at what happened."""
    import nats

    from kokemus.demo import play
    from shared.messaging.rpc import RemoteError

    try:
        asyncio.run(play(nats_url, engagements=1, console=console))
    except (RemoteError, TimeoutError, OSError, nats.errors.Error) as error:
        console.print(f"[red]the demo failed: {error}[/red]")


@app.command()
def asyncapi(check: bool = typer.Option(False, "--check", help="fail when a committed document is stale")) -> None:
    """Write services/<service>/asyncapi.json from the code (or check that they are current)."""
    from kokemus.documents import asyncapi_documents

    stale = []
    for path, text in asyncapi_documents().items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            console.print(f"wrote {path}")
    if stale:
        console.print(f"[red]stale AsyncAPI documents (run `kokemus asyncapi`): {', '.join(stale)}[/red]")
        raise typer.Exit(1)


def _register_subcommands() -> None:
    from kokemus import account, audit, demo, dlq, events, relay, systems

    app.command()(account.login)
    app.command()(account.logout)
    app.command()(account.whoami)
    app.add_typer(relay.app, name="relay")
    app.add_typer(audit.app, name="audit")
    app.add_typer(events.app, name="events")
    app.add_typer(dlq.app, name="dlq")
    app.add_typer(systems.app, name="systems")
    app.command(name="demo")(demo.demo_command)


_register_subcommands()

if __name__ == "__main__":
    app()

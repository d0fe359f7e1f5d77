"""``kokemus dlq``: the messages a service could not handle, and replaying them."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from kokemus.connect import connection
from shared.events import Actor, Role
from shared.messaging.rpc import RemoteError, request
from shared.messaging.subjects import command_subject, query_subject

app = typer.Typer(help="Dead letters: messages a service could not handle", no_args_is_help=True)
console = Console()
COORDINATOR = Actor(id="cli", role=Role.coordinator).model_dump()


@app.command("list")
def list_dead_letters(service: str) -> None:
    """List a service's dead letters with their errors."""
    async def run() -> list[dict]:
        async with connection() as nc:
            return await request(nc, query_subject(service, "dead_letters"), {"actor": COORDINATOR})

    try:
        rows = asyncio.run(run())
    except RemoteError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"dead letters of {service}")
    for column in ("id", "consumer", "subject", "attempts", "failed_at", "replayed_at", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("id", "consumer", "subject", "attempts", "failed_at", "replayed_at", "error")))
    console.print(table)


@app.command("replay")
def replay(service: str, dead_letter_id: int) -> None:
    """Run a dead letter through its consumer again."""
    async def run() -> dict:
        async with connection() as nc:
            return await request(nc, command_subject(service, "replay_dead_letter"),
                                 {"actor": COORDINATOR, "dead_letter_id": dead_letter_id})

    try:
        console.print(asyncio.run(run()))
    except RemoteError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None

"""``kokemus dlq``: the messages a service could not handle, and replaying them."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from kokemus.connect import connection, run
from shared.events import Actor, Role
from shared.messaging.rpc import request
from shared.messaging.subjects import command_subject, query_subject

app = typer.Typer(help="Dead letters: messages a service could not handle", no_args_is_help=True)
console = Console()
COORDINATOR = Actor(id="cli", role=Role.coordinator).model_dump()
COLUMNS = ("id", "consumer", "subject", "attempts", "failed_at", "replayed_at", "error")


@app.command("list")
def list_dead_letters(service: str) -> None:
    """List a service's dead letters with their errors."""
    async def ask() -> list[dict[str, Any]]:
        async with connection() as nc:
            return await request(nc, query_subject(service, "dead_letters"), {"actor": COORDINATOR})

    rows = run(ask())
    table = Table(title=f"dead letters of {service}")
    for column in COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[column]) for column in COLUMNS))
    console.print(table)


@app.command("replay")
def replay(service: str, dead_letter_id: int) -> None:
    """Run a dead letter through its consumer again."""
    async def ask() -> dict[str, Any]:
        async with connection() as nc:
            return await request(nc, command_subject(service, "replay_dead_letter"),
                                 {"actor": COORDINATOR, "dead_letter_id": dead_letter_id})

    console.print(run(ask()))

"""``kokemus dlq``: the messages a service could not handle, and replaying them (coordinators)."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from kokemus.connect import run, signed_in
from kokemus.tables import print_rows
from shared.messaging.subjects import command_subject, query_subject

app = typer.Typer(help="Dead letters: messages a service could not handle", no_args_is_help=True)
console = Console()
COLUMNS = ("id", "consumer", "subject", "attempts", "failed_at", "replayed_at", "error")


@app.command("list")
def list_dead_letters(service: str) -> None:
    """List a service's dead letters with their errors."""
    async def ask() -> Any:
        async with signed_in() as caller:
            return await caller.ask(query_subject(service, "dead_letters"), {})

    print_rows(console, f"dead letters of {service}", COLUMNS, run(ask()))


@app.command("replay")
def replay(service: str, dead_letter_id: int) -> None:
    """Run a dead letter through its consumer again."""
    async def ask() -> Any:
        async with signed_in() as caller:
            return await caller.ask(command_subject(service, "replay_dead_letter"), {"dead_letter_id": dead_letter_id})

    console.print(run(ask()))

"""``kokemus relay``: events a service's relay set aside because the bus kept refusing them, and publishing one
again once the cause is mended (a larger max_payload, a permission). Nothing is lost meanwhile: a parked event
stays in the service's event table, and the events after it are published as usual."""

from __future__ import annotations

import uuid
from typing import Any

import typer
from rich.console import Console

from kokemus.connect import run, signed_in
from kokemus.tables import print_rows
from shared.messaging.subjects import command_subject, query_subject

app = typer.Typer(help="Events the relay parked: list them, publish one again", no_args_is_help=True)
console = Console()
COLUMNS = ("event_id", "stream_id", "version", "event_type", "parked_at", "republished_at", "error")


@app.command("parked")
def parked(service: str) -> None:
    """List the events a service's relay parked, with the bus's reason."""
    async def ask() -> Any:
        async with signed_in() as caller:
            return await caller.ask(query_subject(service, "parked_events"), {})

    print_rows(console, f"events parked by the {service} relay", COLUMNS, run(ask()))


@app.command("republish")
def republish(service: str, event_id: uuid.UUID) -> None:
    """Publish a parked event again (coordinators); consumers take it like any late event."""
    async def ask() -> Any:
        async with signed_in() as caller:
            return await caller.ask(command_subject(service, "republish_parked_event"), {"event_id": str(event_id)})

    console.print(run(ask()))

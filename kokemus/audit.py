"""``kokemus audit``: an engagement's history, and the verification of every hash chain.

    kokemus audit history ENGAGEMENT_ID [--format table|json|csv]
    kokemus audit verify [--format table|json]      exit code 1 when any chain is broken

Both speak as an auditor through the services' queries; a service's error is printed, never a traceback.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from kokemus.connect import connection, errors, run
from shared.events import Actor, Role
from shared.messaging.rpc import RemoteError, request
from shared.messaging.subjects import query_subject
from services import SERVICE_NAMES

app = typer.Typer(help="The audit trail: an engagement's history, and verifying every hash chain",
                  no_args_is_help=True)
console = Console()
SOURCES = tuple(name for name in SERVICE_NAMES if name != "audit")  # the services whose events the audit copies
AUDITOR = Actor(id="cli", role=Role.auditor).model_dump(mode="json")
VERIFY_TIMEOUT = 300.0  # a store is walked event by event; a large one takes a while
CSV_COLUMNS = ("recorded_at", "service", "event_type", "stream_id", "version", "actor_id", "actor_role",
               "actor_organization_id", "trace_id", "event_id", "causation_id", "summary")


class HistoryFormat(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(str, enum.Enum):
    table = "table"
    json = "json"


# -- history ---------------------------------------------------------------------------------------------

@app.command()
def history(engagement_id: str = typer.Argument(..., help="the engagement's id"),
            output: HistoryFormat = typer.Option(HistoryFormat.table, "--format", help="table, json or csv")) -> None:
    """Every event of an engagement, from every service, each after the event that caused it."""
    async def ask() -> dict[str, Any]:
        async with connection() as nc:
            return await request(nc, query_subject("audit", "history"), {"actor": AUDITOR, "engagement_id": engagement_id})

    result = run(ask())
    if output is HistoryFormat.json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif output is HistoryFormat.csv:
        typer.echo(history_csv(_entries(result)), nl=False)
    else:
        print_history(console, engagement_id, result)


def _entries(history: Any) -> list[dict[str, Any]]:
    return history["entries"] if isinstance(history, dict) else history


def print_history(out: Console, engagement_id: str, history: Any) -> None:
    """The trail as a table: when, which service, what, who, and the trace that ties it to the request."""
    table = Table(title=f"audit trail of engagement {engagement_id}")
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("service", no_wrap=True)
    table.add_column("event type", no_wrap=True)
    table.add_column("actor")
    table.add_column("trace id", no_wrap=True)
    for entry in _entries(history):
        actor = entry["actor"]
        who = f"{actor['role']} {actor['id']}" + (f" ({actor['organization_id']})" if actor.get("organization_id") else "")
        table.add_row(entry["recorded_at"].replace("T", " ")[:23], entry["service"], entry["event_type"],
                      escape(who), entry.get("trace_id") or "-")
    if not out.is_terminal and out.width < 150:
        # A pipe or a CI log gets 80 columns by default; give each event one line there too.
        out = Console(file=out.file, width=150, no_color=out.no_color)
    out.print(table)


def history_csv(entries: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        actor = entry["actor"]
        writer.writerow([entry["recorded_at"], entry["service"], entry["event_type"], entry["stream_id"],
                         entry["version"], actor["id"], actor["role"], actor.get("organization_id") or "",
                         entry.get("trace_id") or "", entry["event_id"], entry.get("causation_id") or "",
                         json.dumps(entry.get("summary", {}), ensure_ascii=False, sort_keys=True)])
    return buffer.getvalue()


# -- verify ----------------------------------------------------------------------------------------------

def _verify_steps() -> list[tuple[str, str]]:
    """Each service's own store, then the audit's trails and its copies of every source's events."""
    steps = [(service, query_subject(service, "verify")) for service in SERVICE_NAMES]
    return steps + [("audit trail and copies", query_subject("audit", "verify_trail"))]


async def verify_all(on_step: Callable[[str, bool], None] = lambda label, done: None) -> dict[str, Any]:
    """Ask every verification in turn; a service that does not answer is reported, not fatal."""
    stores: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    async with connection() as nc:
        for label, subject in _verify_steps():
            on_step(label, False)
            try:
                result = await request(nc, subject, {"actor": AUDITOR}, timeout=VERIFY_TIMEOUT)
            except RemoteError as error:
                failures.append({"step": label, "code": error.code, "message": error.message})
            else:
                stores.extend(result["stores"] if "stores" in result else [result])
            on_step(label, True)
        for service in SOURCES:
            label = f"{service} against the audit's copies"
            on_step(label, False)
            try:
                copied = await request(nc, query_subject("audit", "copy_heads"), {"actor": AUDITOR, "service": service},
                                       timeout=VERIFY_TIMEOUT)
                stores.append(await request(nc, query_subject(service, "check_heads"),
                                            {"actor": AUDITOR, "heads": copied["heads"]}, timeout=VERIFY_TIMEOUT))
            except RemoteError as error:
                failures.append({"step": label, "code": error.code, "message": error.message})
            on_step(label, True)
    intact = not failures and all(store["intact"] for store in stores)
    return {"intact": intact, "stores": stores, "errors": failures}


@app.command()
def verify(output: ReportFormat = typer.Option(ReportFormat.table, "--format", help="table or json")) -> None:
    """Recompute the hash chains of every service, of the audit trail, and of the audit's copies of every
    service's events; name each break. Exit code 1 when anything is broken or does not answer."""
    steps = len(_verify_steps()) + len(SOURCES)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=errors, transient=True, disable=output is ReportFormat.json) as progress:
        task = progress.add_task("verifying", total=steps)

        def on_step(label: str, done: bool) -> None:
            progress.update(task, description=f"verifying {label}", advance=1 if done else 0)

        report = run(verify_all(on_step))
    if output is ReportFormat.json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_report(console, report)
    if not report["intact"]:
        raise typer.Exit(1)


def print_report(out: Console, report: dict[str, Any]) -> None:
    """One line per store (and one per break), unwrapped, so that ids stay whole for copying."""
    for store in report["stores"]:
        name = escape(store["store"])
        if store["intact"]:
            # A store's own chains count events; the check against the audit's copies counts stream heads.
            checked = (f"{store['events_checked']} events" if "events_checked" in store
                       else f"{store['streams_checked']} stream heads")
            out.print(f"[green]✓[/green] {name}: intact ({checked})", soft_wrap=True)
        for b in store["breaks"]:
            out.print(f"[red]✗ {name}: broken at stream {escape(b['stream_id'])} version {b['version']} "
                      f"(event {b.get('event_id') or '?'}): {escape(b['reason'])}[/red]", soft_wrap=True)
    for failure in report["errors"]:
        out.print(f"[red]✗ {escape(failure['step'])}: not checked: {escape(failure['message'])}[/red]", soft_wrap=True)
    out.print("[green]every chain is intact[/green]" if report["intact"] else "[red]something is broken or unchecked[/red]")

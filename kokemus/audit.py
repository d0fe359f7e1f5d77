"""``kokemus audit``: an engagement's history, the verification of every hash chain, and signed checkpoints.

    kokemus audit history ENGAGEMENT_ID [--format table|json|csv]
    kokemus audit verify [--keys FILE] [--checkpoint FILE] [--format table|json]   exit code 1 when anything
                                                                                   is broken or unchecked
    kokemus audit checkpoint sign                  sign one now instead of waiting for the interval
    kokemus audit checkpoint export FILE           the latest signed checkpoint, to keep apart from the system

Each speaks as the person signed in (an auditor or a coordinator) through the services' queries; a service's
error is printed, never a traceback.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from kokemus.connect import CommandFailed, errors, run, signed_in
from kokemus.verification import Checkpoint, checkpoint_keys, latest_checkpoint, print_report, step_count, verify_all
from services.audit.checkpoints import CheckpointRefused, verify as verify_signature
from shared.messaging.subjects import command_subject, query_subject

app = typer.Typer(help="The audit trail: an engagement's history, verifying every hash chain, signed checkpoints",
                  no_args_is_help=True)
checkpoint_app = typer.Typer(help="Signed checkpoints of every chain's heads", no_args_is_help=True)
app.add_typer(checkpoint_app, name="checkpoint")
console = Console()
CSV_COLUMNS = ("recorded_at", "service", "event_type", "stream_id", "version", "actor_id", "actor_role",
               "actor_organization_id", "trace_id", "event_id", "causation_id", "summary")
KEYS_HELP = "the audit's public key set (default: KOKEMUS_AUDIT_CHECKPOINT_KEYS, or the embedded stack's)"


class HistoryFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(enum.StrEnum):
    table = "table"
    json = "json"


# -- history ---------------------------------------------------------------------------------------------

@app.command()
def history(engagement_id: str = typer.Argument(..., help="the engagement's id"),
            output: HistoryFormat = typer.Option(HistoryFormat.table, "--format", help="table, json or csv")) -> None:
    """Every event of an engagement, from every service, each after the event that caused it."""
    async def ask() -> Any:
        async with signed_in() as caller:
            return await caller.ask(query_subject("audit", "history"), {"engagement_id": engagement_id})

    result = run(ask())
    if output is HistoryFormat.json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif output is HistoryFormat.csv:
        typer.echo(history_csv(history_entries(result)), nl=False)
    else:
        print_history(console, engagement_id, result)


def history_entries(history: Any) -> list[dict[str, Any]]:
    """The entries of a history answer (a list, or a dict holding them under ``entries``)."""
    entries: list[dict[str, Any]] = history["entries"] if isinstance(history, dict) else history
    return entries


def print_history(out: Console, engagement_id: str, history: Any) -> None:
    """The trail as a table: when, which service, what, who, and the trace that ties it to the request."""
    table = Table(title=f"audit trail of engagement {engagement_id}")
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("service", no_wrap=True)
    table.add_column("event type", no_wrap=True)
    table.add_column("actor")
    table.add_column("trace id", no_wrap=True)
    for entry in history_entries(history):
        actor = entry["actor"]
        organization = f" ({actor['organization_id']})" if actor.get("organization_id") else ""
        who = f"{actor['role']} {actor['id']}{organization}"
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

@app.command()
def verify(output: ReportFormat = typer.Option(ReportFormat.table, "--format", help="table or json"),
           keys: Path = typer.Option(None, "--keys", help=KEYS_HELP, exists=True, dir_okay=False),
           checkpoint: Path = typer.Option(None, "--checkpoint", exists=True, dir_okay=False,
                                           help="an exported checkpoint to check against (default: the latest)"),
           ) -> None:
    """Recompute the hash chains of every service, of the audit trail, and of the audit's copies of every
    service's events; compare every store with the audit's copies and with the signed checkpoint; name each
    break. Exit code 1 when anything is broken, unchecked or does not answer."""
    public = checkpoint_keys(keys) if keys else _quietly(checkpoint_keys)
    exported = Checkpoint.from_file(checkpoint) if checkpoint else None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=errors, transient=True, disable=output is ReportFormat.json) as progress:
        task = progress.add_task("verifying", total=step_count())

        def on_step(label: str, done: bool) -> None:
            progress.update(task, description=f"verifying {label}", advance=1 if done else 0)

        async def verifying() -> dict[str, Any]:
            async with signed_in() as caller:
                return await verify_all(caller, public, exported, on_step)

        report = run(verifying())
    if output is ReportFormat.json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_report(console, report)
    if not report["intact"]:
        raise typer.Exit(1)


def _quietly(find: Any) -> Any:
    try:
        return find()
    except CommandFailed as error:
        errors.print(f"[yellow]{escape(str(error))}[/yellow]", soft_wrap=True)
        return None


# -- checkpoints -----------------------------------------------------------------------------------------

@checkpoint_app.command("sign")
def sign_checkpoint() -> None:
    """Sign a checkpoint of every chain's heads now."""
    async def signing() -> Any:
        async with signed_in() as caller:
            return await caller.ask(command_subject("audit", "sign_checkpoint"), {})

    answer = run(signing())
    what = "signed" if answer["signed"] else "nothing changed since the last one,"
    console.print(f"checkpoint {what} {answer['checkpoint_id']} at {answer['signed_at']}")


@checkpoint_app.command("export")
def export_checkpoint(file: Path = typer.Argument(..., help="where to write it (JSON)", dir_okay=False),
                      keys: Path = typer.Option(None, "--keys", help=KEYS_HELP, exists=True, dir_okay=False)) -> None:
    """Write the latest signed checkpoint with the heads it covers, after checking its signature: kept apart
    from the system, it proves what the stores held even if the audit's own records are later rewritten."""
    public = checkpoint_keys(keys)
    if public is None:
        raise typer.BadParameter("no public key to check the checkpoint with: give --keys FILE", param_hint="--keys")

    async def fetching() -> Checkpoint:
        async with signed_in() as caller:
            return await latest_checkpoint(caller)

    found = run(fetching())
    try:
        verify_signature(found.signature, public, found.as_heads())
    except CheckpointRefused as refused:
        errors.print(f"[red]{escape(str(refused))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    file.write_text(json.dumps(found.export(), indent=2, sort_keys=True) + "\n")
    streams = sum(len(heads) for heads in found.heads.values())
    console.print(f"checkpoint {found.checkpoint_id} signed at {found.signed_at} ({streams} stream heads) "
                  f"written to {file}")

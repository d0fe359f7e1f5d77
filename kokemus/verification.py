"""What ``kokemus audit verify`` checks, in order, and how it reports.

1. Every service's own hash chains, the audit's trails, and the audit's copies of every source's events.
2. Every source's stream heads against the audit's copies (a removed last event, a rewritten chain).
3. Every store against the latest signed checkpoint (or an exported one): its signature is checked with the
   audit's public key, the heads kept for it with the digests it signed, and each store must still hold every
   signed head. Someone who rewrote a store and the audit's copies in step, recomputing every hash, cannot
   sign a new checkpoint: the key is in no database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from joserfc.jwk import KeySet
from rich.console import Console
from rich.markup import escape

from kokemus.connect import CommandFailed
from services import SERVICE_NAMES
from services.audit.checkpoints import CheckpointRefused, Heads, verify as verify_signature
from services.audit.domain import SOURCES
from shared.identity import public_keys
from shared.messaging.rpc import RemoteError
from shared.messaging.subjects import query_subject
from shared.settings import load_settings

VERIFY_TIMEOUT = 300.0  # a store is walked event by event; a large one takes a while
Step = Callable[[str, bool], None]


class Caller(Protocol):
    """Who asks (the signed-in person's connection, or a test's)."""

    async def ask(self, subject: str, body: dict[str, Any], *, timeout: float = 10.0) -> Any: ...


@dataclass
class Checkpoint:
    """A signed checkpoint with the heads it covers, as the audit keeps it or as exported to a file."""

    checkpoint_id: str
    signed_at: str
    signature: str
    heads: dict[str, dict[str, dict[str, Any]]]  # service -> stream -> {"version", "hash"}

    def as_heads(self) -> dict[str, Heads]:
        return {service: {stream: (head["version"], head["hash"]) for stream, head in streams.items()}
                for service, streams in self.heads.items()}

    def export(self) -> dict[str, Any]:
        return {"checkpoint_id": self.checkpoint_id, "signed_at": self.signed_at, "signature": self.signature,
                "heads": self.heads}

    @classmethod
    def from_file(cls, path: Path) -> Checkpoint:
        try:
            data = json.loads(path.read_text())
            return cls(data["checkpoint_id"], data["signed_at"], data["signature"], data["heads"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandFailed(f"{path} is not an exported checkpoint ({error})") from None


async def latest_checkpoint(caller: Caller) -> Checkpoint:
    latest = await caller.ask(query_subject("audit", "latest_checkpoint"), {})
    heads = {}
    for service in (*SOURCES, "audit"):
        answer = await caller.ask(query_subject("audit", "checkpoint_heads"),
                                  {"checkpoint_id": latest["checkpoint_id"], "service": service},
                                  timeout=VERIFY_TIMEOUT)
        heads[service] = answer["heads"]
    return Checkpoint(latest["checkpoint_id"], latest["signed_at"], latest["signature"], heads)


def checkpoint_keys(path: Path | None = None) -> KeySet | None:
    """The audit's public key set: from ``path``, else ``KOKEMUS_AUDIT_CHECKPOINT_KEYS``, else the embedded
    stack's data folder; None when none is found."""
    if path is not None:
        return _keys_from(str(path))
    configured = load_settings().audit_checkpoint_keys
    if configured:
        return _keys_from(configured)
    from kokemus.stack.keys import StackKeys
    from kokemus.stack.up import default_data_dir

    embedded = StackKeys.of(default_data_dir()).audit_checkpoint_keys
    return _keys_from(str(embedded)) if embedded.exists() else None


def _keys_from(source: str) -> KeySet:
    try:
        return public_keys(source)
    except (OSError, ValueError) as error:
        raise CommandFailed(f"cannot read the audit's public keys from {source[:200]}: {error}") from None


class Report:
    def __init__(self) -> None:
        self.stores: list[dict[str, Any]] = []
        self.errors: list[dict[str, str]] = []

    def failed(self, step: str, code: str, message: str) -> None:
        self.errors.append({"step": step, "code": code, "message": message})

    def as_dict(self) -> dict[str, Any]:
        intact = not self.errors and all(store["intact"] for store in self.stores)
        return {"intact": intact, "stores": self.stores, "errors": self.errors}


def step_count() -> int:
    return len(SERVICE_NAMES) + 1 + len(SOURCES) + 1 + len(SOURCES) + 1


async def verify_all(caller: Caller, keys: KeySet | None, checkpoint: Checkpoint | None = None,
                     on_step: Step = lambda label, done: None) -> dict[str, Any]:
    """Every check in turn; a service that does not answer is reported, not fatal."""
    report = Report()
    for label, subject in [(service, query_subject(service, "verify")) for service in SERVICE_NAMES] + [
            ("audit trail and copies", query_subject("audit", "verify_trail"))]:
        async with _step(report, label, on_step):
            result = await caller.ask(subject, {}, timeout=VERIFY_TIMEOUT)
            report.stores.extend(result.get("stores", [result]))  # verify_trail answers for two stores
    for service in SOURCES:
        async with _step(report, f"{service} against the audit's copies", on_step):
            copied = await caller.ask(query_subject("audit", "copy_heads"), {"service": service},
                                      timeout=VERIFY_TIMEOUT)
            report.stores.append(await caller.ask(query_subject(service, "check_heads"), {"heads": copied["heads"]},
                                                  timeout=VERIFY_TIMEOUT))
    await _against_checkpoint(caller, keys, checkpoint, report, on_step)
    return report.as_dict()


async def _against_checkpoint(caller: Caller, keys: KeySet | None, checkpoint: Checkpoint | None, report: Report,
                              on_step: Step) -> None:
    signed = None
    async with _step(report, "the signed checkpoint", on_step):
        signed = await _signed_checkpoint(caller, keys, checkpoint, report)
    if signed is None:
        return
    for service, heads in sorted(signed.heads.items()):
        async with _step(report, f"{service} against the checkpoint", on_step):
            report.stores.append(await caller.ask(
                query_subject(service, "check_heads"),
                {"heads": heads, "against": f"the checkpoint signed {signed.signed_at}"}, timeout=VERIFY_TIMEOUT))


async def _signed_checkpoint(caller: Caller, keys: KeySet | None, checkpoint: Checkpoint | None, report: Report
                             ) -> Checkpoint | None:
    """The checkpoint to check the stores against, once its signature and digests hold; None (and a failure
    in the report) when there is none to trust."""
    label = "the signed checkpoint"
    if keys is None:
        report.failed(label, "unchecked", "no public key to check the audit's checkpoints with: give --keys FILE "
                                          "or set KOKEMUS_AUDIT_CHECKPOINT_KEYS")
        return None
    checkpoint = checkpoint or await latest_checkpoint(caller)
    try:
        verify_signature(checkpoint.signature, keys, checkpoint.as_heads())
    except CheckpointRefused as refused:
        report.failed(label, "refused", f"checkpoint {checkpoint.checkpoint_id}: {refused}")
        return None
    return checkpoint


class _step:
    """One step: reported as started and done; a service's error reply is noted as that step's failure."""

    def __init__(self, report: Report, label: str, on_step: Step) -> None:
        self.report, self.label, self.on_step = report, label, on_step

    async def __aenter__(self) -> None:
        self.on_step(self.label, False)

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, _: Any) -> bool:
        self.on_step(self.label, True)
        if isinstance(error, RemoteError):
            self.report.failed(self.label, error.code, error.message)
            return True
        return False


def print_report(out: Console, report: dict[str, Any]) -> None:
    """One line per store (and one per break), unwrapped, so that ids stay whole for copying."""
    for store in report["stores"]:
        name = escape(store["store"])
        if store["intact"]:
            # A store's own chains count events; a check against copies or a checkpoint counts stream heads.
            checked = (f"{store['events_checked']} events" if "events_checked" in store
                       else f"{store['streams_checked']} stream heads")
            out.print(f"[green]✓[/green] {name}: intact ({checked})", soft_wrap=True)
        for b in store["breaks"]:
            out.print(f"[red]✗ {name}: broken at stream {escape(b['stream_id'])} version {b['version']} "
                      f"(event {b.get('event_id') or '?'}): {escape(b['reason'])}[/red]", soft_wrap=True)
    for failure in report["errors"]:
        out.print(f"[red]✗ {escape(failure['step'])}: not checked: {escape(failure['message'])}[/red]", soft_wrap=True)
    out.print("[green]every chain is intact[/green]" if report["intact"]
              else "[red]something is broken or unchecked[/red]")

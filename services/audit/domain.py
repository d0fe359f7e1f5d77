"""The audit trail's rules: which events concern an engagement, the trail itself, and causal order. No I/O.

The audit keeps every event the four source services publish, as published, and gathers into each
engagement's trail the events that concern it: those naming the engagement, every event of its order, and
the registry's events of the expert it rests on (their training, consent and listing).
"""

from __future__ import annotations

import heapq
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The sources' event modules register their payload types: consumed messages decode to them, and their
# ``Personal`` annotations say what a summary must leave out.
import services.contracts.events  # noqa: F401
import services.feedback.events  # noqa: F401
import services.orders.events  # noqa: F401
import services.registry.events  # noqa: F401
from shared.aggregate import Aggregate
from shared.events import Actor, Role, event_class
from shared.eventstore.crypto import is_encrypted
from services.audit.events import TrailEntryRecorded

SOURCES = ("registry", "orders", "contracts", "feedback")
AUDIT = Actor(id="audit", role=Role.system)
SUMMARY_TEXT_LIMIT = 80


@dataclass(frozen=True)
class SourceEvent:
    """One event of a source service, as its published envelope tells it (personal fields still sealed)."""

    service: str
    event_id: uuid.UUID
    stream_id: str
    version: int
    event_type: str
    recorded_at: datetime
    engagement_id: uuid.UUID | None
    order_id: str | None
    expert_id: str | None
    causation_id: uuid.UUID | None
    correlation_id: uuid.UUID | None
    actor: dict[str, Any]
    trace_id: str | None
    prev_hash: bytes
    hash: bytes
    envelope: dict[str, Any]

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> SourceEvent:
        payload = envelope.get("payload") or {}
        return cls(
            service=envelope["service"],
            event_id=uuid.UUID(envelope["event_id"]),
            stream_id=envelope["stream_id"],
            version=envelope["version"],
            event_type=envelope["event_type"],
            recorded_at=datetime.fromisoformat(envelope["recorded_at"]),
            # The envelope names the engagement; a payload field is the fallback for an event recorded
            # without that metadata (OfferAccepted names the engagement it opens).
            engagement_id=_uuid(envelope.get("engagement_id")) or _uuid(payload.get("engagement_id")),
            order_id=_text(payload.get("order_id")),
            expert_id=_text(payload.get("expert_id")),
            causation_id=_uuid(envelope.get("causation_id")),
            correlation_id=_uuid(envelope.get("correlation_id")),
            actor=dict(envelope["actor"]),
            trace_id=_trace_id(envelope.get("trace") or {}),
            prev_hash=bytes.fromhex(envelope["prev_hash"]),
            hash=bytes.fromhex(envelope["hash"]),
            envelope=envelope,
        )

    def lock_keys(self) -> list[str]:
        """What this event shares with any engagement it could concern: an engagement opened at the same
        time must wait for it, or each would miss the other."""
        keys = {f"engagement:{self.engagement_id}" if self.engagement_id else None,
                f"order:{self.order_id}" if self.order_id else None,
                f"expert:{self.expert_id}" if self.expert_id else None}
        return sorted(key for key in keys if key)

    def sort_key(self) -> tuple[datetime, str, str, int]:
        return (self.recorded_at, self.service, self.stream_id, self.version)


@dataclass(frozen=True)
class Engagement:
    """What an engagement's trail gathers, as its EngagementOpened names it."""

    engagement_id: uuid.UUID
    order_id: str | None
    expert_id: str | None

    @classmethod
    def opened_by(cls, source: SourceEvent) -> Engagement | None:
        if source.service != "orders" or source.event_type != "EngagementOpened":
            return None
        payload = source.envelope["payload"]
        return cls(uuid.UUID(payload["engagement_id"]), _text(payload.get("order_id")), _text(payload.get("expert_id")))

    def concerns(self, source: SourceEvent) -> bool:
        if source.engagement_id == self.engagement_id:
            return True
        if self.order_id is not None and source.order_id == self.order_id:
            return True
        # Only the registry's events of the expert: the expert's offers and contracts in other orders
        # belong to those orders' engagements.
        return source.service == "registry" and self.expert_id is not None and source.expert_id == self.expert_id


def engagements_concerned(source: SourceEvent, known: Iterable[Engagement]) -> set[uuid.UUID]:
    """The engagements whose trails ``source`` belongs in: the one it names (opened or not yet) and every
    known engagement whose order or expert it is about."""
    found = {engagement.engagement_id for engagement in known if engagement.concerns(source)}
    if source.engagement_id is not None:
        found.add(source.engagement_id)
    return found


def summarize(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without personal fields (sealed or not), long texts cut short."""
    cls = event_class(event_type)
    personal = cls.personal_fields() if cls is not None else frozenset()
    return {name: _short(value) for name, value in payload.items() if name not in personal and not is_encrypted(value)}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SUMMARY_TEXT_LIMIT:
        return value[: SUMMARY_TEXT_LIMIT - 1] + "…"
    return value


class Trail(Aggregate):
    """An engagement's audit trail: one entry per source event that concerns it, each recorded once."""

    stream_prefix = "trail"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.entries: list[TrailEntryRecorded] = []
        self.linked: set[uuid.UUID] = set()

    def link(self, source: SourceEvent) -> None:
        if source.event_id in self.linked:
            return
        self.record(TrailEntryRecorded(
            engagement_id=uuid.UUID(self.id),
            source_service=source.service,
            source_event_id=source.event_id,
            source_stream_id=source.stream_id,
            source_version=source.version,
            source_hash=source.hash.hex(),
            source_event_type=source.event_type,
            recorded_at=source.recorded_at,
            actor=source.actor,
            causation_id=source.causation_id,
            trace_id=source.trace_id,
            summary=summarize(source.event_type, source.envelope.get("payload") or {}),
        ))

    def history(self) -> list[TrailEntryRecorded]:
        return causal_order(self.entries)

    def when_TrailEntryRecorded(self, event: TrailEntryRecorded) -> None:
        self.entries.append(event)
        self.linked.add(event.source_event_id)


def causal_order(entries: Iterable[TrailEntryRecorded]) -> list[TrailEntryRecorded]:
    """Every entry after the entry it was caused by and after the earlier versions of its own stream;
    otherwise by time, then service, then stream and version. Clocks of different services disagree, so
    time alone could put a reaction before its cause."""
    entries = list(entries)
    by_id = {entry.source_event_id: entry for entry in entries}
    followers: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    waiting_for: dict[uuid.UUID, int] = {entry.source_event_id: 0 for entry in entries}

    def after(earlier: uuid.UUID, later: uuid.UUID) -> None:
        followers[earlier].append(later)
        waiting_for[later] += 1

    for entry in entries:
        if entry.causation_id in by_id and entry.causation_id != entry.source_event_id:
            after(entry.causation_id, entry.source_event_id)
    streams: dict[tuple[str, str], list[TrailEntryRecorded]] = defaultdict(list)
    for entry in entries:
        streams[(entry.source_service, entry.source_stream_id)].append(entry)
    for stream in streams.values():
        stream.sort(key=lambda e: e.source_version)
        for earlier, later in zip(stream, stream[1:]):
            after(earlier.source_event_id, later.source_event_id)

    ready = [(_order_key(entry), entry.source_event_id) for entry in entries if waiting_for[entry.source_event_id] == 0]
    heapq.heapify(ready)
    ordered: list[TrailEntryRecorded] = []
    while ready:
        _, event_id = heapq.heappop(ready)
        ordered.append(by_id[event_id])
        for follower in followers[event_id]:
            waiting_for[follower] -= 1
            if waiting_for[follower] == 0:
                heapq.heappush(ready, (_order_key(by_id[follower]), follower))
    if len(ordered) < len(entries):
        # A cycle of causes can only come from damaged data; show the rest by time rather than hide it.
        placed = {entry.source_event_id for entry in ordered}
        ordered += sorted((e for e in entries if e.source_event_id not in placed), key=_order_key)
    return ordered


def _order_key(entry: TrailEntryRecorded) -> tuple[datetime, str, str, int, str]:
    return (entry.recorded_at, entry.source_service, entry.source_stream_id, entry.source_version,
            str(entry.source_event_id))


def _uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _trace_id(trace: dict[str, str]) -> str | None:
    parent = trace.get("traceparent")
    return parent.split("-")[1] if parent and parent.count("-") == 3 else None

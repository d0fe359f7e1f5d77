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
from itertools import pairwise
from typing import Any

from services.audit.events import CheckpointSigned, TrailEntryRecorded
from services.contracts import events as contracts
from services.feedback import events as feedback
from services.orders import events as orders
from services.registry import events as registry
from shared.aggregate import Aggregate
from shared.envelope import Published
from shared.events import Actor, EventTypes, Role, events_in
from shared.eventstore.crypto import is_encrypted

SOURCES = ("registry", "orders", "contracts", "feedback")
# The sources' events, so a summary knows which fields are personal even when they travel empty.
SOURCE_EVENTS = EventTypes(cls for module in (registry, orders, contracts, feedback) for cls in events_in(module))
AUDIT = Actor(id="audit", role=Role.system)
SUMMARY_TEXT_LIMIT = 80


@dataclass(frozen=True)
class SourceEvent:
    """One event of a source service as published (personal fields still sealed), with what ties it to
    engagements: the engagement it names, and the order and expert its payload is about."""

    envelope: Published
    engagement_id: uuid.UUID | None
    order_id: str | None
    expert_id: str | None

    @classmethod
    def of(cls, envelope: Published) -> SourceEvent:
        payload = envelope.payload
        return cls(
            envelope=envelope,
            # The envelope names the engagement; a payload field is the fallback for an event recorded
            # without that metadata (OfferAccepted names the engagement it opens).
            engagement_id=envelope.engagement_id or _uuid(payload.get("engagement_id")),
            order_id=_text(payload.get("order_id")),
            expert_id=_text(payload.get("expert_id")),
        )

    @property
    def event_id(self) -> uuid.UUID:
        return self.envelope.event_id

    def lock_keys(self) -> list[str]:
        """What this event shares with any engagement it could concern: an engagement opened at the same
        time must wait for it, or each would miss the other."""
        keys = {f"engagement:{self.engagement_id}" if self.engagement_id else None,
                f"order:{self.order_id}" if self.order_id else None,
                f"expert:{self.expert_id}" if self.expert_id else None}
        return sorted(key for key in keys if key)

    def sort_key(self) -> tuple[datetime, str, str, int]:
        e = self.envelope
        return (e.recorded_at, e.service, e.stream_id, e.version)


@dataclass(frozen=True)
class Engagement:
    """What an engagement's trail gathers, as its EngagementOpened names it."""

    engagement_id: uuid.UUID
    order_id: str | None
    expert_id: str | None

    @classmethod
    def opened_by(cls, source: SourceEvent) -> Engagement | None:
        if source.envelope.service != "orders" or source.envelope.event_type != "EngagementOpened":
            return None
        payload = source.envelope.payload
        return cls(uuid.UUID(payload["engagement_id"]), _text(payload.get("order_id")), _text(payload.get("expert_id")))

    def concerns(self, source: SourceEvent) -> bool:
        if source.engagement_id == self.engagement_id:
            return True
        if self.order_id is not None and source.order_id == self.order_id:
            return True
        # Only the registry's events of the expert: the expert's offers and contracts in other orders
        # belong to those orders' engagements.
        return (
            source.envelope.service == "registry" and self.expert_id is not None and source.expert_id == self.expert_id
        )


def engagements_concerned(source: SourceEvent, known: Iterable[Engagement]) -> set[uuid.UUID]:
    """The engagements whose trails ``source`` belongs in: the one it names (opened or not yet) and every
    known engagement whose order or expert it is about."""
    found = {engagement.engagement_id for engagement in known if engagement.concerns(source)}
    if source.engagement_id is not None:
        found.add(source.engagement_id)
    return found


def summarize(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without personal fields (sealed or not), long texts cut short."""
    cls = SOURCE_EVENTS.get(event_type)
    personal = cls.personal_fields() if cls is not None else frozenset()
    return {name: _short(value) for name, value in payload.items() if name not in personal and not is_encrypted(value)}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SUMMARY_TEXT_LIMIT:
        return value[: SUMMARY_TEXT_LIMIT - 1] + "…"
    return value


class Checkpoints(Aggregate):
    """Every checkpoint the audit signed, in one stream: the version check orders them, so two replicas
    signing at once make one checkpoint."""

    stream_prefix = "checkpoints"
    ID = "checkpoints"

    def __init__(self, aggregate_id: str = ID) -> None:
        super().__init__(aggregate_id)
        self.latest: CheckpointSigned | None = None
        self.digests: dict[str, str] = {}

    @classmethod
    def stream_id(cls, aggregate_id: str | uuid.UUID = ID) -> str:
        return cls.stream_prefix

    def sign(self, content: dict[str, Any], signature: str, signed_at: datetime) -> bool:
        """Record the signed checkpoint, unless every store's heads are as the last one signed them."""
        digests = {service: signed["digest"] for service, signed in content["services"].items()}
        if digests == self.digests:
            return False
        self.record(CheckpointSigned(
            checkpoint_id=uuid.UUID(content["checkpoint_id"]), signed_at=signed_at, signature=signature,
            streams={service: signed["streams"] for service, signed in content["services"].items()},
            digests=digests))
        return True

    def when_CheckpointSigned(self, event: CheckpointSigned) -> None:
        self.latest, self.digests = event, dict(event.digests)


class Trail(Aggregate):
    """An engagement's audit trail: one entry per source event that concerns it, each recorded once."""

    stream_prefix = "trail"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.entries: list[TrailEntryRecorded] = []
        self.linked: set[uuid.UUID] = set()

    def link(self, source: SourceEvent) -> None:
        e = source.envelope
        if e.event_id in self.linked:
            return
        self.record(TrailEntryRecorded(
            engagement_id=uuid.UUID(self.id),
            source_service=e.service,
            source_event_id=e.event_id,
            source_stream_id=e.stream_id,
            source_version=e.version,
            source_hash=e.hash.hex(),
            source_event_type=e.event_type,
            recorded_at=e.recorded_at,
            actor=e.actor.model_dump(mode="json"),
            causation_id=e.causation_id,
            trace_id=e.trace_id,
            summary=summarize(e.event_type, e.payload),
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
        for earlier, later in pairwise(stream):
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


"""Where the audit keeps what it received: the port its handlers use, and its in-memory fake for unit tests.
:mod:`services.audit.projections` keeps the same tables in PostgreSQL; one contract test
(``tests/contract/test_views.py``) runs against both."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from services.audit.domain import Engagement, SourceEvent
from shared.envelope import Envelope, Published
from shared.eventstore.port import ChainBreak


class AuditTables(Protocol):
    """Where the audit keeps what it received. Every method that changes something takes the transaction's
    connection, so its effect commits with the consumer's "processed" record or not at all."""

    async def project(self, event: Envelope[Any], connection: Any) -> None:
        """The audit keeps no views of its own events: its trails are read from their streams."""
        ...

    async def lock(self, keys: Iterable[str], connection: Any) -> None:
        """Hold ``keys`` until the transaction ends; waits for whoever holds one of them."""
        ...

    async def keep(self, source: SourceEvent, connection: Any) -> bool:
        """Keep the event's envelope; False when it was kept before."""
        ...

    async def add_engagement(self, engagement: Engagement, opened_event_id: uuid.UUID, connection: Any) -> None:
        """Remember an opened engagement (once)."""
        ...

    async def engagements_near(self, source: SourceEvent, connection: Any) -> list[Engagement]:
        """Known engagements sharing the event's engagement, order or expert: those it may concern."""
        ...

    async def events_near(self, engagement: Engagement, connection: Any) -> list[SourceEvent]:
        """Kept events sharing the engagement's id, order or expert: those that may concern it."""
        ...

    async def claim_links(
        self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID], connection: Any
    ) -> set[uuid.UUID]:
        """Mark the events as linked into the engagement's trail; return those not linked before."""
        ...

    def copies(self, service: str) -> AsyncIterator[Published | ChainBreak]:
        """The kept envelopes of one service, ordered by stream and version; a copy that no longer reads as
        an envelope comes as the break it is."""
        ...

    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        """How many events were kept per service, and how many trail entries (of one engagement, or all)."""
        ...

    async def copy_heads(self, service: str) -> dict[str, Head]:
        """The last copied event of each of the service's streams."""
        ...

    async def keep_checkpoint(self, checkpoint_id: uuid.UUID, heads: dict[str, dict[str, Head]],
                              connection: Any) -> None:
        """Keep the heads a checkpoint signed, by service."""
        ...

    async def checkpoint_heads(self, checkpoint_id: uuid.UUID, service: str) -> dict[str, Head]:
        """The heads of one service a checkpoint signed."""
        ...


@dataclass(frozen=True)
class Head:
    """A stream's last event: what a checkpoint signs (version and hash), and what tells a removed event from
    an injected one (the link it claims, and where the source's log put it)."""

    version: int
    hash: str
    prev_hash: str = ""
    position: int = 0

    @classmethod
    def of(cls, envelope: Published) -> Head:
        return cls(envelope.version, envelope.hash.hex(), envelope.prev_hash.hex(), envelope.position)


class InMemoryAuditTables:
    def __init__(self) -> None:
        self.sources: dict[uuid.UUID, SourceEvent] = {}
        self.engagements: dict[uuid.UUID, Engagement] = {}
        self.links: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.checkpoints: dict[uuid.UUID, dict[str, dict[str, Head]]] = {}

    async def lock(self, keys: Iterable[str], connection: Any) -> None:
        return None  # one event loop, no concurrent transactions

    async def project(self, event: Envelope[Any], connection: Any) -> None:
        return None

    async def keep(self, source: SourceEvent, connection: Any) -> bool:
        if source.event_id in self.sources:
            return False
        self.sources[source.event_id] = source  # envelopes are immutable: no copy needed
        return True

    async def add_engagement(self, engagement: Engagement, opened_event_id: uuid.UUID, connection: Any) -> None:
        self.engagements.setdefault(engagement.engagement_id, engagement)

    async def engagements_near(self, source: SourceEvent, connection: Any) -> list[Engagement]:
        return [e for e in self.engagements.values() if _shares(e, source)]

    async def events_near(self, engagement: Engagement, connection: Any) -> list[SourceEvent]:
        return [s for s in self.sources.values() if _shares(engagement, s)]

    async def claim_links(
        self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID], connection: Any
    ) -> set[uuid.UUID]:
        new = {event_id for event_id in event_ids if (engagement_id, event_id) not in self.links}
        self.links |= {(engagement_id, event_id) for event_id in new}
        return new

    async def copies(self, service: str) -> AsyncIterator[Published | ChainBreak]:
        kept = sorted((s.envelope for s in self.sources.values() if s.envelope.service == service),
                      key=lambda e: (e.stream_id, e.version))
        for envelope in kept:
            yield envelope

    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        by_service: dict[str, int] = {}
        for source in self.sources.values():
            by_service[source.envelope.service] = by_service.get(source.envelope.service, 0) + 1
        links = [link for link in self.links if engagement_id is None or link[0] == engagement_id]
        return {"source_events": dict(sorted(by_service.items())), "trail_entries": len(links),
                "engagements": len({engagement for engagement, _ in links})}

    async def copy_heads(self, service: str) -> dict[str, Head]:
        heads: dict[str, Head] = {}
        async for envelope in self.copies(service):  # by stream and version: the last one stays
            if not isinstance(envelope, ChainBreak):
                heads[envelope.stream_id] = Head.of(envelope)
        return heads

    async def keep_checkpoint(self, checkpoint_id: uuid.UUID, heads: dict[str, dict[str, Head]],
                              connection: Any) -> None:
        self.checkpoints[checkpoint_id] = heads

    async def checkpoint_heads(self, checkpoint_id: uuid.UUID, service: str) -> dict[str, Head]:
        return dict(self.checkpoints.get(checkpoint_id, {}).get(service, {}))


def _shares(engagement: Engagement, source: SourceEvent) -> bool:
    """The event names the engagement, its order or its expert (what the tables' query matches; a None
    matches nothing, as NULL does there)."""
    return any(mine is not None and mine == theirs for mine, theirs in (
        (engagement.engagement_id, source.engagement_id), (engagement.order_id, source.order_id),
        (engagement.expert_id, source.expert_id)))

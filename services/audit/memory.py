"""The audit's tables in memory, for unit tests of the handlers; same port as the PostgreSQL ones."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from services.audit.domain import Engagement, SourceEvent
from services.audit.projections import AuditTables


class InMemoryAuditTables(AuditTables):
    def __init__(self) -> None:
        self.sources: dict[uuid.UUID, SourceEvent] = {}
        self.engagements: dict[uuid.UUID, Engagement] = {}
        self.links: set[tuple[uuid.UUID, uuid.UUID]] = set()

    async def lock(self, keys: Iterable[str], connection: Any) -> None:
        return None  # one event loop, no concurrent transactions

    async def keep(self, source: SourceEvent, connection: Any) -> bool:
        if source.event_id in self.sources:
            return False
        # A copy, as the database keeps its own: changing the caller's dict later changes nothing here.
        self.sources[source.event_id] = SourceEvent.from_envelope(copy.deepcopy(source.envelope))
        return True

    async def add_engagement(self, engagement: Engagement, opened_event_id: uuid.UUID, connection: Any) -> None:
        self.engagements.setdefault(engagement.engagement_id, engagement)

    async def engagements_near(self, source: SourceEvent, connection: Any) -> list[Engagement]:
        return list(self.engagements.values())

    async def events_near(self, engagement: Engagement, connection: Any) -> list[SourceEvent]:
        return list(self.sources.values())

    async def claim_links(self, engagement_id: uuid.UUID, event_ids: list[uuid.UUID], connection: Any) -> set[uuid.UUID]:
        new = {event_id for event_id in event_ids if (engagement_id, event_id) not in self.links}
        self.links |= {(engagement_id, event_id) for event_id in new}
        return new

    async def copies(self, service: str) -> AsyncIterator[dict[str, Any]]:
        kept = sorted((s for s in self.sources.values() if s.service == service), key=lambda s: (s.stream_id, s.version))
        for source in kept:
            yield source.envelope

    async def counts(self, engagement_id: uuid.UUID | None = None) -> dict[str, Any]:
        by_service: dict[str, int] = {}
        for source in self.sources.values():
            by_service[source.service] = by_service.get(source.service, 0) + 1
        links = [link for link in self.links if engagement_id is None or link[0] == engagement_id]
        return {"source_events": dict(sorted(by_service.items())), "trail_entries": len(links),
                "engagements": len({engagement for engagement, _ in links})}

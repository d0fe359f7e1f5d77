"""What the routes of an order read besides its stream, in memory (for unit tests): the registry's facts of who is
a trained, active member of which organization, and who must act on which order. PostgreSQL keeps the same in
:mod:`services.orders.routing_projections`; the views contract runs against both."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.orders import events as ev
from services.orders.domain.routes import Awaiting, awaiting_after
from services.registry import events as registry
from services.registry.events import TrainingKind
from shared.envelope import Envelope
from shared.projection import Projection

SUMMARY = ("engagement_id", "order_id", "offer_id", "expert_id", "orderer_id", "task_type", "date", "status")
ATTENTION = "county_agreement"  # why an engagement needs the coordinator's attention


@dataclass
class Member:
    """An expert as an organization's member: listed or not in the bank."""

    organization_ids: list[str] = field(default_factory=list)
    trained: bool = False  # completed a basic training
    county_trained: bool = False
    active: bool = True


@dataclass
class Route:
    route: ev.OrderRoute
    organization_id: str | None
    awaiting: Awaiting | None
    placed_at: dt.datetime
    county_service: bool = False
    cancelled: bool = False


@dataclass
class InMemoryRoutingViews(Projection):
    members: dict[str, Member] = field(default_factory=dict)
    routes: dict[uuid.UUID, Route] = field(default_factory=dict)
    engagement_rows: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    # -- the registry's facts of membership and training -------------------------------------------------

    def _member(self, expert_id: str) -> Member:
        return self.members.setdefault(expert_id, Member())

    def _joins(self, expert_id: str, organization_id: str) -> None:
        member = self._member(expert_id)
        if organization_id not in member.organization_ids:
            member.organization_ids.append(organization_id)

    async def on_ExpertRegistered(self, e: registry.ExpertRegistered, connection: Any, _: Envelope[Any]) -> None:
        self._joins(e.expert_id, e.organization_id)

    async def on_ExpertJoinedOrganization(self, e: registry.ExpertJoinedOrganization, connection: Any,
                                          _: Envelope[Any]) -> None:
        self._joins(e.expert_id, e.organization_id)

    async def on_ExpertLeftOrganization(self, e: registry.ExpertLeftOrganization, connection: Any,
                                        _: Envelope[Any]) -> None:
        member = self._member(e.expert_id)
        member.organization_ids = [o for o in member.organization_ids if o != e.organization_id]

    async def on_TrainingCompleted(self, e: registry.TrainingCompleted, connection: Any, _: Envelope[Any]) -> None:
        if e.kind is TrainingKind.basic:
            member = self._member(e.expert_id)
            member.trained, member.county_trained = True, member.county_trained or e.by_county
            if e.by_county:  # an expert the county trained belongs to the county
                self._joins(e.expert_id, e.trained_by)

    async def on_ExpertDeactivated(self, e: registry.ExpertDeactivated, connection: Any, _: Envelope[Any]) -> None:
        self._member(e.expert_id).active = False

    # -- who must act on an order -------------------------------------------------------------------------

    def _placed_route(self, e: ev.OrderPlaced, placed_at: dt.datetime) -> None:
        self.routes.setdefault(e.order_id, Route(e.route, e.organization_id,
                                                 awaiting_after(e, e.route, e.organization_id, None), placed_at,
                                                 e.county_service))

    def _follow_route(self, event: Any, order_id: uuid.UUID) -> None:
        route = self.routes.get(order_id)
        if route is not None:
            route.awaiting = awaiting_after(event, route.route, route.organization_id, route.awaiting)

    async def on_OrderRoutedToOrganization(self, e: ev.OrderRoutedToOrganization, connection: Any,
                                           _: Envelope[Any]) -> None:
        if e.order_id in self.routes:
            self.routes[e.order_id].organization_id = e.organization_id
        self._follow_route(e, e.order_id)

    async def on_OrderDeclinedByOrganization(self, e: ev.OrderDeclinedByOrganization, connection: Any,
                                             _: Envelope[Any]) -> None:
        if e.order_id in self.routes:
            self.routes[e.order_id].organization_id = None
        self._follow_route(e, e.order_id)

    async def on_ExpertsProposed(self, e: ev.ExpertsProposed, connection: Any, _: Envelope[Any]) -> None:
        self._follow_route(e, e.order_id)

    async def on_CandidatesRanked(self, e: ev.CandidatesRanked, connection: Any, _: Envelope[Any]) -> None:
        self._follow_route(e, e.order_id)

    async def on_NoCandidatesLeft(self, e: ev.NoCandidatesLeft, connection: Any, _: Envelope[Any]) -> None:
        self._follow_route(e, e.order_id)

    async def on_OrderCancelled(self, e: ev.OrderCancelled, connection: Any, _: Envelope[Any]) -> None:
        if e.order_id in self.routes:
            self.routes[e.order_id].cancelled = True

    # -- engagements needing the coordinator's attention ------------------------------------------------------

    async def on_CountyAgreementLapsed(self, e: ev.CountyAgreementLapsed, connection: Any, _: Envelope[Any]) -> None:
        if e.engagement_id in self.engagement_rows:
            self.engagement_rows[e.engagement_id]["agreement_lapsed"] = True

    async def on_CountyAgreementRestored(self, e: ev.CountyAgreementRestored, connection: Any,
                                         _: Envelope[Any]) -> None:
        if e.engagement_id in self.engagement_rows:
            self.engagement_rows[e.engagement_id]["agreement_lapsed"] = False

    def _to_be_done(self, row: dict[str, Any]) -> bool:
        return not (row["delivered"] or row["cancelled"] or row["closed"])

    def _by_date(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda row: (row["date"], str(row["engagement_id"])))

    async def county_engagements_ahead(self, today: dt.date) -> list[dict[str, Any]]:
        def in_county_services(row: dict[str, Any]) -> bool:
            route = self.routes.get(row["order_id"])
            return route is not None and route.county_service
        return [{name: row[name] for name in ("engagement_id", "expert_id", "date")}
                | {"agreement_lapsed": row.get("agreement_lapsed", False)}
                for row in self._by_date(list(self.engagement_rows.values()))
                if in_county_services(row) and row["date"] >= today and self._to_be_done(row)]

    async def engagements_needing_attention(self) -> list[dict[str, Any]]:
        return [{name: row[name] for name in SUMMARY} | {"attention": ATTENTION}
                for row in self._by_date(list(self.engagement_rows.values()))
                if row.get("agreement_lapsed") and self._to_be_done(row)]

    # -- reads --------------------------------------------------------------------------------------------

    async def incoming_orders(self, organization_id: str) -> list[uuid.UUID]:
        return self._oldest_first(lambda route: route.organization_id == organization_id)

    async def orders_to_route(self) -> list[uuid.UUID]:
        return self._oldest_first(lambda route: route.awaiting is Awaiting.coordinator)

    def _oldest_first(self, wanted: Callable[[Route], bool]) -> list[uuid.UUID]:
        found = [(route.placed_at, str(order_id), order_id) for order_id, route in self.routes.items()
                 if wanted(route) and not route.cancelled]
        return [order_id for *_, order_id in sorted(found)]

"""What the routes of an order read besides its stream, in PostgreSQL (schema.sql): the registry's facts of who is
a trained, active member of which organization (in the consuming transaction), and who must act on which order
(in the recording transaction). :class:`services.orders.projections.OrdersTables` builds on these tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.orders import events as ev
from services.orders.domain.routes import Awaiting, awaiting_after
from services.orders.routing_views import ATTENTION, SUMMARY
from services.registry import events as registry
from services.registry.events import TrainingKind
from shared.envelope import Envelope
from shared.projection import PostgresViews


class RoutingTables(PostgresViews):
    # -- the registry's facts of membership and training -------------------------------------------------

    async def _joins(self, conn: Any, expert_id: str, organization_id: str) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.members (expert_id, organization_ids) VALUES ($1, ARRAY[$2::text])
                ON CONFLICT (expert_id) DO UPDATE SET organization_ids = CASE
                    WHEN $2 = ANY(members.organization_ids) THEN members.organization_ids
                    ELSE members.organization_ids || $2::text END""",
            expert_id, organization_id,
        )

    async def on_ExpertRegistered(self, e: registry.ExpertRegistered, conn: Any, _: Envelope[Any]) -> None:
        await self._joins(conn, e.expert_id, e.organization_id)

    async def on_ExpertJoinedOrganization(self, e: registry.ExpertJoinedOrganization, conn: Any,
                                          _: Envelope[Any]) -> None:
        await self._joins(conn, e.expert_id, e.organization_id)

    async def on_ExpertLeftOrganization(self, e: registry.ExpertLeftOrganization, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.members SET organization_ids = array_remove(organization_ids, $2)
                WHERE expert_id = $1""", e.expert_id, e.organization_id)

    async def on_TrainingCompleted(self, e: registry.TrainingCompleted, conn: Any, _: Envelope[Any]) -> None:
        if e.kind is not TrainingKind.basic:
            return
        await conn.execute(
            f"""INSERT INTO {self.schema}.members (expert_id, trained, county_trained) VALUES ($1, true, $2)
                ON CONFLICT (expert_id) DO UPDATE SET trained = true,
                    county_trained = members.county_trained OR excluded.county_trained""",
            e.expert_id, e.by_county,
        )
        if e.by_county:  # an expert the county trained belongs to the county
            await self._joins(conn, e.expert_id, e.trained_by)

    async def on_ExpertDeactivated(self, e: registry.ExpertDeactivated, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.members (expert_id, active) VALUES ($1, false)
                ON CONFLICT (expert_id) DO UPDATE SET active = false""", e.expert_id)

    # -- who must act on an order -------------------------------------------------------------------------

    async def _follow_route(self, conn: Any, event: Any, order_id: uuid.UUID, *,
                            organization_id: str | None = None, addressed: bool = False) -> None:
        """Move the order's ``awaiting`` on by the event (and its addressee, when ``addressed``)."""
        row = await conn.fetchrow(
            f"SELECT route, organization_id, awaiting FROM {self.schema}.orders WHERE order_id = $1", order_id)
        if row is None:
            return
        addressee = organization_id if addressed else row["organization_id"]
        current = Awaiting(row["awaiting"]) if row["awaiting"] else None
        awaiting = awaiting_after(event, ev.OrderRoute(row["route"]), addressee, current)
        await conn.execute(
            f"UPDATE {self.schema}.orders SET organization_id = $2, awaiting = $3 WHERE order_id = $1",
            order_id, addressee, awaiting.value if awaiting else None,
        )

    async def on_OrderRoutedToOrganization(self, e: ev.OrderRoutedToOrganization, conn: Any,
                                           _: Envelope[Any]) -> None:
        await self._follow_route(conn, e, e.order_id, organization_id=e.organization_id, addressed=True)

    async def on_OrderDeclinedByOrganization(self, e: ev.OrderDeclinedByOrganization, conn: Any,
                                             _: Envelope[Any]) -> None:
        await self._follow_route(conn, e, e.order_id, organization_id=None, addressed=True)

    async def on_ExpertsProposed(self, e: ev.ExpertsProposed, conn: Any, _: Envelope[Any]) -> None:
        await self._follow_route(conn, e, e.order_id)

    async def on_CandidatesRanked(self, e: ev.CandidatesRanked, conn: Any, _: Envelope[Any]) -> None:
        await self._follow_route(conn, e, e.order_id)

    async def on_NoCandidatesLeft(self, e: ev.NoCandidatesLeft, conn: Any, _: Envelope[Any]) -> None:
        await self._follow_route(conn, e, e.order_id)

    async def on_OrderCancelled(self, e: ev.OrderCancelled, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.orders SET cancelled = true WHERE order_id = $1", e.order_id)

    # -- engagements needing the coordinator's attention ------------------------------------------------------

    async def on_CountyAgreementLapsed(self, e: ev.CountyAgreementLapsed, conn: Any, _: Envelope[Any]) -> None:
        await self._lapsed(conn, e.engagement_id, True)

    async def on_CountyAgreementRestored(self, e: ev.CountyAgreementRestored, conn: Any, _: Envelope[Any]) -> None:
        await self._lapsed(conn, e.engagement_id, False)

    async def _lapsed(self, conn: Any, engagement_id: uuid.UUID, lapsed: bool) -> None:
        await conn.execute(f"UPDATE {self.schema}.engagements SET agreement_lapsed = $2 WHERE engagement_id = $1",
                           engagement_id, lapsed)

    async def county_engagements_ahead(self, today: dt.date) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"""SELECT e.engagement_id, e.expert_id, e.date, e.agreement_lapsed
                FROM {self.schema}.engagements e JOIN {self.schema}.orders o USING (order_id)
                WHERE o.county_service AND e.date >= $1 AND NOT (e.delivered OR e.cancelled OR e.closed)
                ORDER BY e.date, e.engagement_id""", today)
        return [dict(row) for row in rows]

    async def engagements_needing_attention(self) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"""SELECT {', '.join(SUMMARY)} FROM {self.schema}.engagements
                WHERE agreement_lapsed AND NOT (delivered OR cancelled OR closed)
                ORDER BY date, engagement_id""")
        return [{**dict(row), "attention": ATTENTION} for row in rows]

    # -- reads --------------------------------------------------------------------------------------------

    async def incoming_orders(self, organization_id: str) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT order_id FROM {self.schema}.orders WHERE organization_id = $1 AND NOT cancelled
                ORDER BY placed_at, order_id::text""", organization_id)
        return [row["order_id"] for row in rows]

    async def orders_to_route(self) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT order_id FROM {self.schema}.orders WHERE awaiting = $1 AND NOT cancelled
                ORDER BY placed_at, order_id::text""", Awaiting.coordinator.value)
        return [row["order_id"] for row in rows]

    async def organization_kind(self, organization_id: str) -> str | None:
        kind: str | None = await self.db.fetchval(
            f"SELECT kind FROM {self.schema}.organizations WHERE organization_id = $1", organization_id)
        return kind

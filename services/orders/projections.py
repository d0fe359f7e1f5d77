"""The orders service's views in PostgreSQL (schema.sql): its own events keep offers and engagements (in the
recording transaction); the registry's events keep what orders decides with (in the consuming
transaction). They implement :class:`services.orders.views.OrdersViews`."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from typing import Any

from services.orders import events as ev
from services.orders.domain import (
    MAX_HOURS,
    Agreement,
    Booking,
    Credentials,
    EngagementStatus,
    ListedExpert,
    Membership,
    OfferStatus,
    engagement_status,
)
from services.orders.domain.routes import awaiting_after
from services.orders.routing_projections import RoutingTables
from services.orders.views import FLAGS, delivered_on
from services.registry import events as registry
from services.registry.events import OrganizationKind
from shared.clock import start_of
from shared.envelope import Envelope

SQL = resources.files("services.orders").joinpath("schema.sql").read_text()


class OrdersTables(RoutingTables):
    async def on_OrderPlaced(self, e: ev.OrderPlaced, conn: Any, event: Envelope[Any]) -> None:
        awaiting = awaiting_after(e, e.route, e.organization_id, None)
        await conn.execute(
            f"""INSERT INTO {self.schema}.orders
                    (order_id, orderer_id, placed_at, route, organization_id, awaiting, county_service)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING""",
            e.order_id, e.orderer_id, event.recorded_at, e.route.value, e.organization_id,
            awaiting.value if awaiting else None, e.county_service,
        )

    async def on_OfferMade(self, e: ev.OfferMade, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.offers (offer_id, order_id, expert_id, expires_at, status)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (offer_id) DO NOTHING""",
            e.offer_id, e.order_id, e.expert_id, e.expires_at, OfferStatus.open.value,
        )

    async def on_OrderChanged(self, e: ev.OrderChanged, conn: Any, _: Envelope[Any]) -> None:
        if e.date is not None:  # an offer ends by the task's day at the latest, also when the day moves earlier
            await conn.execute(
                f"""UPDATE {self.schema}.offers SET expires_at = LEAST(expires_at, $2)
                    WHERE order_id = $1 AND status = 'open'""",
                e.order_id, start_of(e.date),
            )

    async def on_OfferAccepted(self, e: ev.OfferAccepted, conn: Any, _: Envelope[Any]) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.accepted)

    async def on_OfferDeclined(self, e: ev.OfferDeclined, conn: Any, _: Envelope[Any]) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.declined)

    async def on_OfferExpired(self, e: ev.OfferExpired, conn: Any, _: Envelope[Any]) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.expired)

    async def on_OfferWithdrawn(self, e: ev.OfferWithdrawn, conn: Any, _: Envelope[Any]) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.withdrawn)

    async def on_EngagementOpened(self, e: ev.EngagementOpened, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.engagements
                    (engagement_id, order_id, offer_id, expert_id, orderer_id, task_type, date, status, opened_at,
                     start_time, duration_hours)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'opened', $8, $9, $10) ON CONFLICT (engagement_id) DO NOTHING""",
            e.engagement_id, e.order_id, e.offer_id, e.expert_id, e.orderer_id, e.task_type.value, e.date,
            event.recorded_at, e.start_time, e.duration_hours,
        )

    async def on_EngagementConfirmed(self, e: ev.EngagementConfirmed, conn: Any, _: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "confirmed")

    async def on_DeliveryConfirmed(self, e: ev.DeliveryConfirmed, conn: Any, event: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "delivered")
        await conn.execute(f"UPDATE {self.schema}.engagements SET delivered_on = $2 WHERE engagement_id = $1",
                           e.engagement_id, delivered_on(e, event))

    async def on_FeeApprovalNoted(self, e: ev.FeeApprovalNoted, conn: Any, _: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "fee_approved")

    async def on_FeedbackCompletionNoted(self, e: ev.FeedbackCompletionNoted, conn: Any, _: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "feedback_complete")

    async def on_EngagementClosed(self, e: ev.EngagementClosed, conn: Any, _: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "closed")

    async def on_EngagementCancelled(self, e: ev.EngagementCancelled, conn: Any, _: Envelope[Any]) -> None:
        await self._reached(conn, e.engagement_id, "cancelled")

    async def on_EngagementChangeAccepted(self, e: ev.EngagementChangeAccepted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.engagements SET date = COALESCE($2, date),
                    start_time = COALESCE($3, start_time), duration_hours = COALESCE($4, duration_hours)
                WHERE engagement_id = $1""",
            e.engagement_id, e.date, e.start_time, e.duration_hours,
        )

    async def _offer_status(self, conn: Any, offer_id: Any, status: OfferStatus) -> None:
        await conn.execute(f"UPDATE {self.schema}.offers SET status = $2 WHERE offer_id = $1", offer_id, status.value)

    async def _reached(self, conn: Any, engagement_id: Any, flag: str) -> None:
        assert flag in FLAGS
        row = await conn.fetchrow(
            f"UPDATE {self.schema}.engagements SET {flag} = true WHERE engagement_id = $1 RETURNING {', '.join(FLAGS)}",
            engagement_id,
        )
        if row is not None:
            await conn.execute(f"UPDATE {self.schema}.engagements SET status = $2 WHERE engagement_id = $1",
                               engagement_id, engagement_status(**dict(row)).value)

    # -- the registry's facts ----------------------------------------------------------------------

    async def on_ExpertListed(self, e: registry.ExpertListed, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.listed_experts (expert_id, organization_ids, county_trained)
                VALUES ($1, $2, $3)
                ON CONFLICT (expert_id) DO UPDATE SET organization_ids = excluded.organization_ids,
                    county_trained = excluded.county_trained""",
            e.expert_id, e.organization_ids, e.county_trained,
        )

    async def on_ExpertUnlisted(self, e: registry.ExpertUnlisted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.listed_experts WHERE expert_id = $1", e.expert_id)

    async def on_ExpertErased(self, e: registry.ExpertErased, conn: Any, _: Envelope[Any]) -> None:
        for table in ("listed_experts", "members", "availability"):
            await conn.execute(f"DELETE FROM {self.schema}.{table} WHERE expert_id = $1", e.expert_id)

    async def on_AvailabilityChanged(self, e: registry.AvailabilityChanged, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.availability (expert_id, weekdays) VALUES ($1, $2)
                ON CONFLICT (expert_id) DO UPDATE SET weekdays = excluded.weekdays""", e.expert_id, list(e.weekdays))

    async def on_OrganizationRegistered(self, e: registry.OrganizationRegistered, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organizations (organization_id, kind) VALUES ($1, $2)
                ON CONFLICT (organization_id) DO UPDATE SET kind = excluded.kind""",
            e.organization_id, e.kind.value,
        )

    async def on_OrganizationAgreementSigned(
        self, e: registry.OrganizationAgreementSigned, conn: Any, _: Envelope[Any]
    ) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organization_agreements
                    (organization_id, agreement_id, valid_from, valid_until)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (organization_id, agreement_id) DO UPDATE SET valid_from = excluded.valid_from,
                    valid_until = excluded.valid_until""",
            e.organization_id,
            e.agreement_id,
            e.valid_from,
            e.valid_until,
        )

    async def on_OrganizationAgreementEnded(self, e: registry.OrganizationAgreementEnded, conn: Any,
                                            _: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.organization_agreements SET ended_on = $3
                WHERE organization_id = $1 AND agreement_id = $2""",
            e.organization_id, e.agreement_id, e.ended_on,
        )

    async def on_OrdererCredentialsGranted(self, e: registry.OrdererCredentialsGranted, conn: Any,
                                           _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.orderer_credentials (orderer_id, organization_id, valid_until, revoked)
                VALUES ($1, $2, $3, false)
                ON CONFLICT (orderer_id) DO UPDATE SET organization_id = excluded.organization_id,
                    valid_until = excluded.valid_until, revoked = false""",
            e.orderer_id, e.organization_id, e.valid_until,
        )

    async def on_OrdererCredentialsRevoked(self, e: registry.OrdererCredentialsRevoked, conn: Any,
                                           _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.orderer_credentials SET revoked = true WHERE orderer_id = $1",
                           e.orderer_id)

    async def on_OrdererErased(self, e: registry.OrdererErased, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.orderer_credentials WHERE orderer_id = $1", e.orderer_id)

    # -- reads ---------------------------------------------------------------------------------------

    async def credentials(self, orderer_id: str) -> Credentials | None:
        row = await self.db.fetchrow(
            f"""SELECT organization_id, valid_until, revoked FROM {self.schema}.orderer_credentials
                WHERE orderer_id = $1""",
            orderer_id,
        )
        return (
            None if row is None else Credentials(orderer_id, row["organization_id"], row["valid_until"], row["revoked"])
        )

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        return await self._expert(
            f"SELECT organization_ids, county_trained FROM {self.schema}.listed_experts WHERE expert_id = $1",
            expert_id)

    async def trained_member(self, expert_id: str) -> ListedExpert | None:
        return await self._expert(
            f"""SELECT organization_ids, county_trained FROM {self.schema}.members
                WHERE expert_id = $1 AND trained AND active AND cardinality(organization_ids) > 0""", expert_id)

    async def _expert(self, query: str, expert_id: str) -> ListedExpert | None:
        """The expert the query finds (their organization ids and whether the county trained them), with their
        organizations' kinds and agreements."""
        s = self.schema
        async with self.db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            expert = await conn.fetchrow(query, expert_id)
            if expert is None:
                return None
            ids = list(expert["organization_ids"])
            kinds = dict(await conn.fetch(
                f"SELECT organization_id, kind FROM {s}.organizations WHERE organization_id = ANY($1)", ids))
            agreements = await conn.fetch(
                f"""SELECT organization_id, valid_from, valid_until, ended_on FROM {s}.organization_agreements
                    WHERE organization_id = ANY($1)""", ids)
        memberships = tuple(
            Membership(
                organization_id,
                is_ngo=kinds.get(organization_id) == OrganizationKind.ngo.value,
                agreements=tuple(Agreement(a["valid_from"], a["valid_until"], a["ended_on"])
                                 for a in agreements if a["organization_id"] == organization_id),
            )
            for organization_id in ids
        )
        return ListedExpert(expert_id, expert["county_trained"], memberships)

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"SELECT DISTINCT order_id FROM {self.schema}.offers WHERE status = 'open' AND expires_at <= $1", now)
        return [row["order_id"] for row in rows]

    async def weekdays(self, expert_id: str) -> frozenset[int] | None:
        found = await self.db.fetchval(f"SELECT weekdays FROM {self.schema}.availability WHERE expert_id = $1",
                                       expert_id)
        return None if found is None else frozenset(found)

    async def bookings(self, expert_id: str, date: dt.date) -> tuple[Booking, ...]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id, date, start_time, duration_hours FROM {self.schema}.engagements
                WHERE expert_id = $1 AND date = $2 AND NOT cancelled""",
            expert_id, date,
        )
        return tuple(Booking(row["date"], row["start_time"], row["duration_hours"] or MAX_HOURS, row["engagement_id"])
                     for row in rows)

    async def engagements_awaiting_feedback(self, *, delivered_before: dt.date) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id FROM {self.schema}.engagements
                WHERE fee_approved AND NOT feedback_complete AND NOT closed AND NOT cancelled
                  AND delivered_on < $1 ORDER BY engagement_id""",
            delivered_before,
        )
        return [row["engagement_id"] for row in rows]

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id, order_id, offer_id, expert_id, orderer_id, task_type, date, status
                FROM {self.schema}.engagements
                WHERE ($1::text IS NULL OR orderer_id = $1) AND ($2::text IS NULL OR expert_id = $2)
                  AND ($3::text IS NULL OR status = $3)
                ORDER BY opened_at DESC, engagement_id""",
            orderer_id, expert_id, status.value if status else None,
        )
        return [dict(row) for row in rows]

    async def offers_to(self, expert_id: str, status: OfferStatus | None = None) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"""SELECT offer_id, order_id, expert_id, expires_at, status FROM {self.schema}.offers
                WHERE expert_id = $1 AND ($2::text IS NULL OR status = $2)
                ORDER BY expires_at DESC, offer_id::text""",
            expert_id, status.value if status else None,
        )
        return [dict(row) for row in rows]

    async def orders_of(self, orderer_id: str) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT order_id FROM {self.schema}.orders WHERE orderer_id = $1
                ORDER BY placed_at DESC, order_id::text""",
            orderer_id,
        )
        return [row["order_id"] for row in rows]

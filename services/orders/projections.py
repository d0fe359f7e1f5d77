"""The orders service's read tables: its own events keep offers and engagements (inside the recording
transaction); the registry's events keep what orders decides with (inside the consuming transaction).
:mod:`services.orders.read_model` reads them."""

from __future__ import annotations

from importlib import resources
from typing import Any

from shared.events import RecordedEvent
from shared.projection import Projection
from services.orders import events as ev
from services.orders.domain import OfferStatus, engagement_status, start_of
from services.registry import events as registry

SQL = resources.files("services.orders").joinpath("schema.sql").read_text()

_FLAGS = ("confirmed", "delivered", "fee_approved", "feedback_complete", "closed", "cancelled")


class OrdersTables(Projection):
    async def on_OfferMade(self, e: ev.OfferMade, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.offers (offer_id, order_id, expert_id, expires_at, status)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (offer_id) DO NOTHING""",
            e.offer_id, e.order_id, e.expert_id, e.expires_at, OfferStatus.open.value,
        )

    async def on_OrderChanged(self, e: ev.OrderChanged, conn: Any, _: RecordedEvent) -> None:
        if e.date is not None:  # an offer ends by the task's day at the latest, also when the day moves earlier
            await conn.execute(
                f"""UPDATE {self.schema}.offers SET expires_at = LEAST(expires_at, $2)
                    WHERE order_id = $1 AND status = 'open'""",
                e.order_id, start_of(e.date),
            )

    async def on_OfferAccepted(self, e: ev.OfferAccepted, conn: Any, _: RecordedEvent) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.accepted)

    async def on_OfferDeclined(self, e: ev.OfferDeclined, conn: Any, _: RecordedEvent) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.declined)

    async def on_OfferExpired(self, e: ev.OfferExpired, conn: Any, _: RecordedEvent) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.expired)

    async def on_OfferWithdrawn(self, e: ev.OfferWithdrawn, conn: Any, _: RecordedEvent) -> None:
        await self._offer_status(conn, e.offer_id, OfferStatus.withdrawn)

    async def on_EngagementOpened(self, e: ev.EngagementOpened, conn: Any, event: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.engagements
                    (engagement_id, order_id, offer_id, expert_id, orderer_id, task_type, date, status, opened_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'opened', $8) ON CONFLICT (engagement_id) DO NOTHING""",
            e.engagement_id, e.order_id, e.offer_id, e.expert_id, e.orderer_id, e.task_type.value, e.date,
            event.recorded_at,
        )

    async def on_EngagementConfirmed(self, e: ev.EngagementConfirmed, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "confirmed")

    async def on_DeliveryConfirmed(self, e: ev.DeliveryConfirmed, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "delivered")

    async def on_FeeApprovalNoted(self, e: ev.FeeApprovalNoted, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "fee_approved")

    async def on_FeedbackCompletionNoted(self, e: ev.FeedbackCompletionNoted, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "feedback_complete")

    async def on_EngagementClosed(self, e: ev.EngagementClosed, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "closed")

    async def on_EngagementCancelled(self, e: ev.EngagementCancelled, conn: Any, _: RecordedEvent) -> None:
        await self._reached(conn, e.engagement_id, "cancelled")

    async def _offer_status(self, conn: Any, offer_id: Any, status: OfferStatus) -> None:
        await conn.execute(f"UPDATE {self.schema}.offers SET status = $2 WHERE offer_id = $1", offer_id, status.value)

    async def _reached(self, conn: Any, engagement_id: Any, flag: str) -> None:
        assert flag in _FLAGS
        row = await conn.fetchrow(
            f"UPDATE {self.schema}.engagements SET {flag} = true WHERE engagement_id = $1 RETURNING {', '.join(_FLAGS)}",
            engagement_id,
        )
        if row is not None:
            await conn.execute(f"UPDATE {self.schema}.engagements SET status = $2 WHERE engagement_id = $1",
                               engagement_id, engagement_status(**dict(row)).value)


class RegistryView(Projection):
    """The registry's facts orders decides with. ``ExpertErased`` follows an ``ExpertUnlisted``; it is
    handled too so that nothing of an erased expert stays here even if the order of the two changes."""

    async def on_ExpertListed(self, e: registry.ExpertListed, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.listed_experts (expert_id, organization_ids, county_trained, topics)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (expert_id) DO UPDATE SET organization_ids = excluded.organization_ids,
                    county_trained = excluded.county_trained, topics = excluded.topics""",
            e.expert_id, e.organization_ids, e.county_trained, e.topics,
        )

    async def on_ExpertUnlisted(self, e: registry.ExpertUnlisted, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.listed_experts WHERE expert_id = $1", e.expert_id)

    async def on_ExpertErased(self, e: registry.ExpertErased, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.listed_experts WHERE expert_id = $1", e.expert_id)

    async def on_OrganizationRegistered(self, e: registry.OrganizationRegistered, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organizations (organization_id, kind) VALUES ($1, $2)
                ON CONFLICT (organization_id) DO UPDATE SET kind = excluded.kind""",
            e.organization_id, e.kind.value,
        )

    async def on_OrganizationAgreementSigned(self, e: registry.OrganizationAgreementSigned, conn: Any,
                                             _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organization_agreements (organization_id, agreement_id, valid_from, valid_until)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (organization_id, agreement_id) DO UPDATE SET valid_from = excluded.valid_from,
                    valid_until = excluded.valid_until""",
            e.organization_id, e.agreement_id, e.valid_from, e.valid_until,
        )

    async def on_OrganizationAgreementEnded(self, e: registry.OrganizationAgreementEnded, conn: Any,
                                            _: RecordedEvent) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.organization_agreements SET ended_on = $3
                WHERE organization_id = $1 AND agreement_id = $2""",
            e.organization_id, e.agreement_id, e.ended_on,
        )

    async def on_OrdererCredentialsGranted(self, e: registry.OrdererCredentialsGranted, conn: Any,
                                           _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.orderer_credentials (orderer_id, organization_id, valid_until, revoked)
                VALUES ($1, $2, $3, false)
                ON CONFLICT (orderer_id) DO UPDATE SET organization_id = excluded.organization_id,
                    valid_until = excluded.valid_until, revoked = false""",
            e.orderer_id, e.organization_id, e.valid_until,
        )

    async def on_OrdererCredentialsRevoked(self, e: registry.OrdererCredentialsRevoked, conn: Any,
                                           _: RecordedEvent) -> None:
        await conn.execute(f"UPDATE {self.schema}.orderer_credentials SET revoked = true WHERE orderer_id = $1",
                           e.orderer_id)

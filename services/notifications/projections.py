"""The notifications service's views in PostgreSQL (schema.sql), implementing
:class:`services.notifications.views.NotificationViews`; the messages' rows are kept from the service's own
events inside the recording transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from typing import Any

from services.notifications import events as ev
from services.notifications.domain.notification import Status
from services.notifications.views import Credentials, OpenOffer, Parties, Row
from shared.envelope import Envelope
from shared.projection import PostgresViews

SQL = resources.files("services.notifications").joinpath("schema.sql").read_text()


class NotificationTables(PostgresViews):
    def _db(self, connection: Any) -> Any:
        return connection if connection is not None else self.db

    async def remember_parties(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.engagements (engagement_id, expert_id, orderer_id, order_id)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (engagement_id) DO UPDATE SET expert_id = excluded.expert_id,
                    orderer_id = excluded.orderer_id,
                    order_id = coalesce(excluded.order_id, {self.schema}.engagements.order_id)""",
            engagement_id, parties.expert_id, parties.orderer_id, parties.order_id)

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None:
        row = await self._db(connection).fetchrow(
            f"SELECT expert_id, orderer_id, order_id FROM {self.schema}.engagements WHERE engagement_id = $1",
            engagement_id)
        return Parties(row["expert_id"], row["orderer_id"], row["order_id"]) if row else None

    async def remember_order(self, order_id: uuid.UUID, orderer_id: str, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.orders (order_id, orderer_id) VALUES ($1, $2)
                ON CONFLICT (order_id) DO NOTHING""", order_id, orderer_id)

    async def orderer_of(self, order_id: uuid.UUID, connection: Any) -> str | None:
        found: str | None = await self._db(connection).fetchval(
            f"SELECT orderer_id FROM {self.schema}.orders WHERE order_id = $1", order_id)
        return found

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None:
        await self._db(connection).execute(
            f"UPDATE {self.schema}.engagements SET cancelled = true WHERE engagement_id = $1", engagement_id)

    async def engagements_of_order(self, order_id: uuid.UUID, connection: Any) -> list[tuple[uuid.UUID, str]]:
        rows = await self._db(connection).fetch(
            f"""SELECT engagement_id, expert_id FROM {self.schema}.engagements
                WHERE order_id = $1 AND NOT cancelled ORDER BY engagement_id""", order_id)
        return [(row["engagement_id"], row["expert_id"]) for row in rows]

    async def open_offers_of_order(self, order_id: uuid.UUID, connection: Any) -> list[OpenOffer]:
        rows = await self._db(connection).fetch(
            f"""SELECT offer_id, expert_id, expires_at, made_event_id, order_id FROM {self.schema}.open_offers
                WHERE order_id = $1 AND open ORDER BY offer_id""", order_id)
        return [_offer(row) for row in rows]

    async def on_NotificationQueued(self, e: ev.NotificationQueued, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.notifications (notification_id, person_id, kind, due_at)
                VALUES ($1, $2, $3, $4) ON CONFLICT (notification_id) DO NOTHING""",
            e.notification_id, e.person_id, e.kind.value, e.queued_at or event.recorded_at)

    async def on_NotificationSent(self, e: ev.NotificationSent, conn: Any, _: Envelope[Any]) -> None:
        await self._update(conn, e.notification_id, Status.sent, e.attempt, None, e.sent_at)

    async def on_NotificationFailed(self, e: ev.NotificationFailed, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.notifications SET attempts = $2, reason = $3, due_at = $4, updated_at = $5
                WHERE notification_id = $1""",
            e.notification_id, e.attempt, e.reason, e.retry_at, event.recorded_at)

    async def on_NotificationBounced(self, e: ev.NotificationBounced, conn: Any, event: Envelope[Any]) -> None:
        await self._update(conn, e.notification_id, Status.bounced, e.attempt, e.reason, event.recorded_at)

    async def _update(self, conn: Any, notification_id: uuid.UUID, status: Status, attempts: int,
                      reason: str | None, at: dt.datetime) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.notifications SET status = $2, attempts = $3, reason = $4, updated_at = $5
                WHERE notification_id = $1""",
            notification_id, status.value, attempts, reason, at)

    async def due(self, now: dt.datetime, limit: int = 100) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT notification_id FROM {self.schema}.notifications WHERE status = $1 AND due_at <= $2
                ORDER BY due_at, notification_id LIMIT $3""",
            Status.queued.value, now, limit)
        return [row["notification_id"] for row in rows]

    async def claim(self, notification_id: uuid.UUID, now: dt.datetime, connection: Any) -> bool:
        # Held until the sending transaction ends: another replica skips the row instead of sending it too.
        found = await connection.fetchval(
            f"""SELECT 1 FROM {self.schema}.notifications
                WHERE notification_id = $1 AND status = $2 AND due_at <= $3 FOR UPDATE SKIP LOCKED""",
            notification_id, Status.queued.value, now)
        return found is not None

    async def undelivered(self, person_id: str | None, limit: int) -> list[Row]:
        rows = await self.db.fetch(
            f"""SELECT * FROM {self.schema}.notifications
                WHERE status = $1 AND ($2::text IS NULL OR person_id = $2)
                ORDER BY updated_at DESC NULLS LAST LIMIT $3""",
            Status.bounced.value, person_id, limit)
        return [Row(r["notification_id"], r["person_id"], r["kind"], Status(r["status"]), r["due_at"], r["attempts"],
                    r["reason"], r["updated_at"]) for r in rows]

    async def remember_offer(self, offer: OpenOffer, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.open_offers (offer_id, expert_id, order_id, expires_at, made_event_id)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (offer_id) DO UPDATE SET expires_at = excluded.expires_at,
                    made_event_id = excluded.made_event_id""",
            offer.offer_id, offer.expert_id, offer.order_id, offer.expires_at, offer.made_event_id)

    async def close_offer(self, offer_id: uuid.UUID, expert_id: str, order_id: uuid.UUID, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.open_offers (offer_id, expert_id, order_id, open) VALUES ($1, $2, $3, false)
                ON CONFLICT (offer_id) DO UPDATE SET open = false""",
            offer_id, expert_id, order_id)

    async def offers_expiring(self, now: dt.datetime, before: dt.datetime, limit: int = 100) -> list[OpenOffer]:
        rows = await self.db.fetch(
            f"""SELECT offer_id, expert_id, expires_at, made_event_id, order_id FROM {self.schema}.open_offers
                WHERE open AND NOT reminded AND expires_at > $1 AND expires_at <= $2
                ORDER BY expires_at, offer_id LIMIT $3""",
            now, before, limit)
        return [_offer(row) for row in rows]

    async def offer_reminded(self, offer_id: uuid.UUID, connection: Any) -> None:
        await self._db(connection).execute(
            f"UPDATE {self.schema}.open_offers SET reminded = true WHERE offer_id = $1", offer_id)


    async def remember_credentials(self, credentials: Credentials, version: int, connection: Any) -> None:
        table = f"{self.schema}.credentials"
        await self._db(connection).execute(
            f"""INSERT INTO {table} (orderer_id, valid_until, granted_event_id, active, version)
                VALUES ($1, $2, $3, true, $4)
                ON CONFLICT (orderer_id) DO UPDATE SET valid_until = excluded.valid_until,
                    granted_event_id = excluded.granted_event_id, active = true, version = excluded.version,
                    reminded = {table}.reminded AND {table}.valid_until IS NOT DISTINCT FROM excluded.valid_until
                WHERE {table}.version < excluded.version""",
            credentials.orderer_id, credentials.valid_until, credentials.granted_event_id, version)

    async def revoke_credentials(self, orderer_id: str, version: int, connection: Any) -> None:
        table = f"{self.schema}.credentials"
        await self._db(connection).execute(
            f"""INSERT INTO {table} (orderer_id, active, version) VALUES ($1, false, $2)
                ON CONFLICT (orderer_id) DO UPDATE SET active = false, version = excluded.version
                WHERE {table}.version < excluded.version""",
            orderer_id, version)

    async def credentials_expiring(self, today: dt.date, by: dt.date, limit: int = 100) -> list[Credentials]:
        rows = await self.db.fetch(
            f"""SELECT orderer_id, valid_until, granted_event_id FROM {self.schema}.credentials
                WHERE active AND NOT reminded AND valid_until >= $1 AND valid_until <= $2
                ORDER BY valid_until, orderer_id LIMIT $3""",
            today, by, limit)
        return [Credentials(r["orderer_id"], r["valid_until"], r["granted_event_id"]) for r in rows]

    async def credentials_reminded(self, orderer_id: str, connection: Any) -> None:
        await self._db(connection).execute(
            f"UPDATE {self.schema}.credentials SET reminded = true WHERE orderer_id = $1", orderer_id)

def _offer(row: Any) -> OpenOffer:
    return OpenOffer(row["offer_id"], row["expert_id"], row["expires_at"], row["made_event_id"], row["order_id"])

"""The feedback service's views in PostgreSQL (schema.sql): the parties of each engagement and the state of
each requested form, the forms kept from the service's own events inside the recording transaction. They
implement :class:`services.feedback.views.FeedbackViews`."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from importlib import resources
from typing import Any

from services.feedback import events as ev
from services.feedback.cells import Cells, FormRecord
from services.feedback.domain import MAX_REMINDERS, Status
from services.feedback.rollup import BACKFILL, PAID, of_engagement, of_expert, of_order, read_cells, restating
from services.feedback.views import ORDERER_KIND, FollowUpRow, Parties
from shared.envelope import Envelope
from shared.projection import PostgresViews

SQL = resources.files("services.feedback").joinpath("schema.sql").read_text()
SQLS = (SQL, BACKFILL)

class FeedbackTables(PostgresViews):
    def _db(self, connection: Any) -> Any:
        return connection if connection is not None else self.db

    @asynccontextmanager
    async def _restating(self, connection: Any, which: tuple[str, Any]) -> AsyncIterator[Any]:
        """A connection to change the rows ``which`` picks the engagements of by (see ``rollup.restating``),
        in the caller's transaction or one of its own."""
        if connection is not None:
            async with restating(connection, self.schema, *which):
                yield connection
            return
        async with self.db.acquire() as conn, conn.transaction(), restating(conn, self.schema, *which):
            yield conn

    # -- the engagements, from the orders service's events ---------------------------------------------

    async def remember_engagement(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        async with self._restating(connection, of_engagement(engagement_id)) as conn:
            await conn.execute(
                f"""INSERT INTO {self.schema}.engagements (engagement_id, expert_id, orderer_id, task_type, order_id)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (engagement_id) DO UPDATE SET expert_id = excluded.expert_id,
                        orderer_id = excluded.orderer_id, task_type = excluded.task_type,
                        order_id = excluded.order_id""",
                engagement_id, parties.expert_id, parties.orderer_id, parties.task_type, parties.order_id)

    async def mark_cancelled(self, engagement_id: uuid.UUID, connection: Any) -> None:
        await self._db(connection).execute(
            f"UPDATE {self.schema}.engagements SET cancelled = true WHERE engagement_id = $1", engagement_id)

    async def parties(self, engagement_id: uuid.UUID, connection: Any = None) -> Parties | None:
        row = await self._db(connection).fetchrow(
            f"""SELECT expert_id, orderer_id, cancelled, task_type, order_id FROM {self.schema}.engagements
                WHERE engagement_id = $1""",
            engagement_id,
        )
        return Parties(row["expert_id"], row["orderer_id"], row["cancelled"], row["task_type"],
                       row["order_id"]) if row else None

    async def engagements_of(self, expert_id: str, connection: Any = None) -> list[uuid.UUID]:
        rows = await self._db(connection).fetch(
            f"SELECT engagement_id FROM {self.schema}.engagements WHERE expert_id = $1 ORDER BY engagement_id",
            expert_id,
        )
        return [row["engagement_id"] for row in rows]

    async def forget_sealed_answers(self, expert_id: str, connection: Any) -> None:
        async with self._restating(connection, of_expert(self.schema, expert_id)) as conn:
            await conn.execute(
                f"""UPDATE {self.schema}.forms AS f SET ratings = f.ratings - $2::text[]
                    FROM {self.schema}.engagements AS e
                    WHERE f.engagement_id = e.engagement_id AND e.expert_id = $1 AND f.ratings IS NOT NULL""",
                expert_id, sorted(ev.SEALED_QUESTIONS))

    # -- the forms, from this service's own events -----------------------------------------------------

    async def on_FeedbackRequested(self, e: ev.FeedbackRequested, conn: Any, event: Envelope[Any]) -> None:
        requested_at = e.requested_at or event.recorded_at
        async with restating(conn, self.schema, *of_engagement(e.engagement_id)):
            await conn.execute(
                f"""INSERT INTO {self.schema}.forms (engagement_id, form, requested_at, last_prompted_at)
                    VALUES ($1, $2, $3, $3) ON CONFLICT (engagement_id, form) DO NOTHING""",
                e.engagement_id, e.form.value, requested_at)

    async def on_FeedbackReminderSent(self, e: ev.FeedbackReminderSent, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.forms SET reminders_sent = $3, last_prompted_at = $4
                WHERE engagement_id = $1 AND form = $2""",
            e.engagement_id, e.form.value, e.reminder_number, e.sent_at or event.recorded_at,
        )

    async def on_FeedbackSubmitted(self, e: ev.FeedbackSubmitted, conn: Any, _: Envelope[Any]) -> None:
        async with restating(conn, self.schema, *of_engagement(e.engagement_id)):
            await conn.execute(
                f"""UPDATE {self.schema}.forms SET status = $3, ratings = $4::jsonb, questionnaire_version = $5
                    WHERE engagement_id = $1 AND form = $2""",
                e.engagement_id, e.form.value, Status.answered.value, json.dumps(e.answers()),
                e.questionnaire_version)

    async def on_FeedbackClosedUnanswered(self, e: ev.FeedbackClosedUnanswered, conn: Any, _: Envelope[Any]) -> None:
        async with restating(conn, self.schema, *of_engagement(e.engagement_id)):
            await conn.execute(
                f"UPDATE {self.schema}.forms SET status = $3 WHERE engagement_id = $1 AND form = $2",
                e.engagement_id, e.form.value, Status.closed.value)

    async def due_for_reminder(self, prompted_before: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id FROM {self.schema}.forms
                WHERE status = $1 AND reminders_sent < $2 AND last_prompted_at <= $3
                GROUP BY engagement_id ORDER BY min(last_prompted_at), engagement_id LIMIT $4""",
            Status.open.value, MAX_REMINDERS, prompted_before, limit,
        )
        return [row["engagement_id"] for row in rows]

    async def forms_requested(self, begins: dt.datetime, ends: dt.datetime) -> list[FormRecord]:
        rows = await self.db.fetch(
            f"""SELECT f.engagement_id, f.form, f.requested_at, f.status, f.ratings, f.questionnaire_version,
                       e.task_type, e.hours, o.county_service, p.fees, p.total - p.fees AS expenses,
                       ARRAY(SELECT m.organization_id FROM {self.schema}.expert_organizations AS m
                             WHERE m.expert_id = e.expert_id ORDER BY m.organization_id) AS organizations,
                       ARRAY(SELECT r.region FROM {self.schema}.expert_regions AS r
                             WHERE r.expert_id = e.expert_id ORDER BY r.region) AS regions
                FROM {self.schema}.forms AS f LEFT JOIN {self.schema}.engagements AS e USING (engagement_id)
                LEFT JOIN {self.schema}.orders AS o ON o.order_id = e.order_id
                LEFT JOIN ({PAID.format(schema=self.schema, where="true")}) AS p USING (engagement_id)
                WHERE f.requested_at >= $1 AND f.requested_at < $2""",
            begins, ends,
        )
        return [FormRecord(row["engagement_id"], ev.Form(row["form"]), row["requested_at"], Status(row["status"]),
                           json.loads(row["ratings"]) if row["ratings"] else None, row["questionnaire_version"],
                           row["task_type"], tuple(row["organizations"]), row["hours"],
                           None if row["county_service"] is None else ORDERER_KIND[row["county_service"]],
                           tuple(row["regions"]), row["fees"], row["expenses"])
                for row in rows]

    async def follow_up_cells(self, start: dt.date, until: dt.date) -> Cells:
        return await read_cells(self.db, self.schema, start, until)

    # -- the experts' organizations, from the registry's events; the wellbeing follow-ups -------------

    async def record_hours(self, engagement_id: uuid.UUID, hours: Decimal, connection: Any) -> None:
        async with self._restating(connection, of_engagement(engagement_id)) as conn:
            await conn.execute(
                f"UPDATE {self.schema}.engagements SET hours = $2 WHERE engagement_id = $1", engagement_id, hours)

    async def remember_order(self, order_id: uuid.UUID, county_service: bool, connection: Any) -> None:
        async with self._restating(connection, of_order(self.schema, order_id)) as conn:
            await conn.execute(
                f"""INSERT INTO {self.schema}.orders (order_id, county_service) VALUES ($1, $2)
                    ON CONFLICT (order_id) DO NOTHING""", order_id, county_service)

    async def record_fee_approved(self, engagement_id: uuid.UUID, fee: Decimal, connection: Any) -> None:
        async with self._restating(connection, of_engagement(engagement_id)) as conn:
            await conn.execute(
                f"""INSERT INTO {self.schema}.approved_fees (engagement_id, fee) VALUES ($1, $2)
                    ON CONFLICT (engagement_id) DO UPDATE SET fee = excluded.fee""", engagement_id, fee)

    async def record_payment(self, payment_id: uuid.UUID, engagement_id: uuid.UUID, total: Decimal,
                             includes_fee: bool, connection: Any) -> None:
        async with self._restating(connection, of_engagement(engagement_id)) as conn:
            await conn.execute(
                f"""INSERT INTO {self.schema}.payments (payment_id, engagement_id, total, includes_fee)
                    VALUES ($1, $2, $3, $4) ON CONFLICT (payment_id) DO NOTHING""",
                payment_id, engagement_id, total, includes_fee)

    async def remember_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        async with self._restating(connection, of_expert(self.schema, expert_id)) as conn:
            await conn.execute(
                f"""INSERT INTO {self.schema}.expert_organizations (expert_id, organization_id) VALUES ($1, $2)
                    ON CONFLICT DO NOTHING""", expert_id, organization_id)

    async def forget_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        async with self._restating(connection, of_expert(self.schema, expert_id)) as conn:
            await conn.execute(
                f"DELETE FROM {self.schema}.expert_organizations WHERE expert_id = $1 AND organization_id = $2",
                expert_id, organization_id)

    async def remember_regions(self, expert_id: str, regions: list[str], connection: Any) -> None:
        async with self._restating(connection, of_expert(self.schema, expert_id)) as conn:
            await conn.execute(f"DELETE FROM {self.schema}.expert_regions WHERE expert_id = $1", expert_id)
            await conn.executemany(f"INSERT INTO {self.schema}.expert_regions (expert_id, region) VALUES ($1, $2)",
                                   [(expert_id, region) for region in sorted(set(regions))])

    async def organizations_of(self, expert_id: str, connection: Any = None) -> list[str]:
        rows = await self._db(connection).fetch(
            f"""SELECT organization_id FROM {self.schema}.expert_organizations WHERE expert_id = $1
                ORDER BY organization_id""", expert_id)
        return [row["organization_id"] for row in rows]

    async def on_WellbeingFollowUpRaised(self, e: ev.WellbeingFollowUpRaised, conn: Any, _: Envelope[Any]) -> None:
        if e.expert_id is None or e.engagement_id is None:  # read after the expert's erasure: nothing to show
            return
        await conn.execute(
            f"""INSERT INTO {self.schema}.wellbeing_follow_ups
                    (follow_up_id, organization_id, expert_id, engagement_id, raised_at)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (follow_up_id) DO NOTHING""",
            e.follow_up_id, e.organization_id, e.expert_id, uuid.UUID(e.engagement_id), e.raised_at)

    async def on_WellbeingFollowUpHandled(self, e: ev.WellbeingFollowUpHandled, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.wellbeing_follow_ups SET handled_at = $2 WHERE follow_up_id = $1",
                           e.follow_up_id, e.handled_at)

    async def follow_ups(self, organization_id: str) -> list[FollowUpRow]:
        rows = await self.db.fetch(
            f"""SELECT follow_up_id, expert_id, engagement_id, raised_at FROM {self.schema}.wellbeing_follow_ups
                WHERE organization_id = $1 AND handled_at IS NULL ORDER BY raised_at DESC, follow_up_id""",
            organization_id)
        return [FollowUpRow(row["follow_up_id"], row["expert_id"], row["engagement_id"], row["raised_at"])
                for row in rows]

    async def forget_follow_ups(self, expert_id: str, connection: Any) -> list[uuid.UUID]:
        rows = await self._db(connection).fetch(
            f"DELETE FROM {self.schema}.wellbeing_follow_ups WHERE expert_id = $1 RETURNING follow_up_id", expert_id)
        return sorted(row["follow_up_id"] for row in rows)

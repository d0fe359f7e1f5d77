"""The feedback service's views in PostgreSQL (schema.sql): the parties of each engagement and the state of
each requested form, the forms kept from the service's own events inside the recording transaction. They
implement :class:`services.feedback.views.FeedbackViews`."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from importlib import resources
from typing import Any

from services.feedback import events as ev
from services.feedback.cells import Cells, FormRecord, Place
from services.feedback.domain import MAX_REMINDERS, Status
from services.feedback.views import ORDERER_KIND, FollowUpRow, Parties
from shared.envelope import Envelope
from shared.projection import PostgresViews

SQL = resources.files("services.feedback").joinpath("schema.sql").read_text()

# The report's cells of a period in one statement (its forms read once): the forms by status, the engagements
# (each where its first form was requested; complete with both forms answered) and the ratings' sums, for each
# Finnish month and task kind, and for each organization of the experts ('unknown' for none). Rows of each kind
# are told apart by ``kind``; the organizations' figures are summed for each expert first, then for each of
# their organizations.
CELLS = """WITH base AS MATERIALIZED (
        SELECT f.engagement_id, f.form, f.status, f.ratings, coalesce(f.questionnaire_version, 1) AS version,
               coalesce(e.task_type, 'unknown') AS task_type, coalesce(e.expert_id, '') AS expert_id,
               coalesce(e.hours, 0) AS hours,
               CASE o.county_service WHEN true THEN 'county' WHEN false THEN 'other' ELSE 'unknown' END
                   AS orderer_kind,
               to_char(f.requested_at AT TIME ZONE 'Europe/Helsinki', 'YYYY-MM') AS month
        FROM {schema}.forms AS f LEFT JOIN {schema}.engagements AS e USING (engagement_id)
        LEFT JOIN {schema}.orders AS o ON o.order_id = e.order_id
        WHERE f.requested_at >= $1 AND f.requested_at < $2),
    member AS (
        SELECT x.expert_id, coalesce(m.organization_id, 'unknown') AS organization
        FROM (SELECT DISTINCT expert_id FROM base) AS x
        LEFT JOIN {schema}.expert_organizations AS m ON m.expert_id = x.expert_id),
    engagement AS (
        SELECT engagement_id, min(expert_id) AS expert_id, min(month) AS month, min(task_type) AS task_type,
               min(orderer_kind) AS orderer_kind, min(hours) AS hours,
               count(*) FILTER (WHERE status = 'answered') = 2 AS complete  -- one row a form
        FROM base GROUP BY engagement_id),
    rated AS MATERIALIZED (
        SELECT b.expert_id, b.month, b.task_type, b.orderer_kind, b.form, b.version, r.key AS question,
               r.value::int AS value
        FROM base AS b, jsonb_each_text(b.ratings) AS r WHERE b.status = 'answered'),
    expert_forms AS (SELECT expert_id, form, status, count(*) AS n FROM base GROUP BY expert_id, form, status),
    expert_engagements AS (
        SELECT expert_id, count(*) AS n, count(*) FILTER (WHERE complete) AS completed, sum(hours) AS hours
        FROM engagement GROUP BY expert_id),
    expert_ratings AS (
        SELECT expert_id, form, version, question, sum(value) AS total, count(*) AS n
        FROM rated GROUP BY expert_id, form, version, question)
SELECT 'forms' AS kind, NULL AS organization, month, task_type, orderer_kind, form, status, NULL::int AS version,
       NULL AS question, count(*) AS n, NULL::bigint AS total, NULL::numeric AS hours
    FROM base GROUP BY month, task_type, orderer_kind, form, status
UNION ALL
SELECT 'forms', m.organization, NULL, NULL, NULL, x.form, x.status, NULL, NULL, sum(x.n)::bigint, NULL, NULL
    FROM expert_forms AS x JOIN member AS m USING (expert_id) GROUP BY m.organization, x.form, x.status
UNION ALL
SELECT 'engagements', NULL, month, task_type, orderer_kind, NULL, NULL, NULL, NULL, count(*),
       count(*) FILTER (WHERE complete), sum(hours)
    FROM engagement GROUP BY month, task_type, orderer_kind
UNION ALL
SELECT 'engagements', m.organization, NULL, NULL, NULL, NULL, NULL, NULL, NULL, sum(x.n)::bigint,
       sum(x.completed)::bigint, sum(x.hours)
    FROM expert_engagements AS x JOIN member AS m USING (expert_id) GROUP BY m.organization
UNION ALL
SELECT 'ratings', NULL, month, task_type, orderer_kind, form, NULL, version, question, count(*),
       sum(value)::bigint, NULL
    FROM rated GROUP BY month, task_type, orderer_kind, form, version, question
UNION ALL
SELECT 'ratings', m.organization, NULL, NULL, NULL, x.form, NULL, x.version, x.question, sum(x.n)::bigint,
       sum(x.total)::bigint, NULL
    FROM expert_ratings AS x JOIN member AS m USING (expert_id)
    GROUP BY m.organization, x.form, x.version, x.question
"""


class FeedbackTables(PostgresViews):
    def _db(self, connection: Any) -> Any:
        return connection if connection is not None else self.db

    # -- the engagements, from the orders service's events ---------------------------------------------

    async def remember_engagement(self, engagement_id: uuid.UUID, parties: Parties, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.engagements (engagement_id, expert_id, orderer_id, task_type, order_id)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (engagement_id) DO UPDATE SET expert_id = excluded.expert_id,
                    orderer_id = excluded.orderer_id, task_type = excluded.task_type, order_id = excluded.order_id""",
            engagement_id, parties.expert_id, parties.orderer_id, parties.task_type, parties.order_id,
        )

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

    async def engagements_ordered_by(self, orderer_id: str) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"SELECT engagement_id FROM {self.schema}.engagements WHERE orderer_id = $1 ORDER BY engagement_id",
            orderer_id,
        )
        return [row["engagement_id"] for row in rows]

    async def forget_sealed_answers(self, expert_id: str, connection: Any) -> None:
        await self._db(connection).execute(
            f"""UPDATE {self.schema}.forms AS f SET ratings = f.ratings - $2::text[]
                FROM {self.schema}.engagements AS e
                WHERE f.engagement_id = e.engagement_id AND e.expert_id = $1 AND f.ratings IS NOT NULL""",
            expert_id, sorted(ev.SEALED_QUESTIONS),
        )

    # -- the forms, from this service's own events -----------------------------------------------------

    async def on_FeedbackRequested(self, e: ev.FeedbackRequested, conn: Any, event: Envelope[Any]) -> None:
        requested_at = e.requested_at or event.recorded_at
        await conn.execute(
            f"""INSERT INTO {self.schema}.forms (engagement_id, form, requested_at, last_prompted_at)
                VALUES ($1, $2, $3, $3) ON CONFLICT (engagement_id, form) DO NOTHING""",
            e.engagement_id, e.form.value, requested_at,
        )

    async def on_FeedbackReminderSent(self, e: ev.FeedbackReminderSent, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.forms SET reminders_sent = $3, last_prompted_at = $4
                WHERE engagement_id = $1 AND form = $2""",
            e.engagement_id, e.form.value, e.reminder_number, e.sent_at or event.recorded_at,
        )

    async def on_FeedbackSubmitted(self, e: ev.FeedbackSubmitted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""UPDATE {self.schema}.forms SET status = $3, ratings = $4::jsonb, questionnaire_version = $5
                WHERE engagement_id = $1 AND form = $2""",
            e.engagement_id, e.form.value, Status.answered.value, json.dumps(e.answers()), e.questionnaire_version,
        )

    async def on_FeedbackClosedUnanswered(self, e: ev.FeedbackClosedUnanswered, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.forms SET status = $3 WHERE engagement_id = $1 AND form = $2",
            e.engagement_id, e.form.value, Status.closed.value,
        )

    async def due_for_reminder(self, prompted_before: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id FROM {self.schema}.forms
                WHERE status = $1 AND reminders_sent < $2 AND last_prompted_at <= $3
                GROUP BY engagement_id ORDER BY min(last_prompted_at), engagement_id LIMIT $4""",
            Status.open.value, MAX_REMINDERS, prompted_before, limit,
        )
        return [row["engagement_id"] for row in rows]

    async def on_FeedbackTextRedacted(self, e: ev.FeedbackTextRedacted, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.forms SET text_redacted_at = $3 WHERE engagement_id = $1 AND form = $2",
            e.engagement_id, e.form.value, event.recorded_at,
        )

    async def texts_due(self, requested_before: dt.datetime, limit: int = 500) -> list[tuple[uuid.UUID, ev.Form]]:
        rows = await self.db.fetch(
            f"""SELECT engagement_id, form FROM {self.schema}.forms
                WHERE status = $1 AND text_redacted_at IS NULL AND requested_at <= $2
                ORDER BY requested_at, engagement_id, form LIMIT $3""",
            Status.answered.value, requested_before, limit,
        )
        return [(row["engagement_id"], ev.Form(row["form"])) for row in rows]

    async def forms_requested(self, begins: dt.datetime, ends: dt.datetime) -> list[FormRecord]:
        rows = await self.db.fetch(
            f"""SELECT f.engagement_id, f.form, f.requested_at, f.status, f.ratings, f.questionnaire_version,
                       e.task_type, e.hours, o.county_service,
                       ARRAY(SELECT m.organization_id FROM {self.schema}.expert_organizations AS m
                             WHERE m.expert_id = e.expert_id ORDER BY m.organization_id) AS organizations
                FROM {self.schema}.forms AS f LEFT JOIN {self.schema}.engagements AS e USING (engagement_id)
                LEFT JOIN {self.schema}.orders AS o ON o.order_id = e.order_id
                WHERE f.requested_at >= $1 AND f.requested_at < $2""",
            begins, ends,
        )
        return [FormRecord(row["engagement_id"], ev.Form(row["form"]), row["requested_at"], Status(row["status"]),
                           json.loads(row["ratings"]) if row["ratings"] else None, row["questionnaire_version"],
                           row["task_type"], tuple(row["organizations"]), row["hours"],
                           None if row["county_service"] is None else ORDERER_KIND[row["county_service"]])
                for row in rows]

    async def follow_up_cells(self, begins: dt.datetime, ends: dt.datetime) -> Cells:
        cells = Cells()
        for row in await self.db.fetch(CELLS.format(schema=self.schema), begins, ends):
            place = Place(row["organization"], row["month"], row["task_type"], row["orderer_kind"])
            if row["kind"] == "forms":
                cells.add_forms((place, ev.Form(row["form"]), Status(row["status"])), row["n"])
            elif row["kind"] == "engagements":
                cells.add_engagements(place, row["n"], row["total"], row["hours"])
            else:
                cells.add_ratings((place, ev.Form(row["form"]), row["version"], row["question"]),
                                  row["total"], row["n"])
        return cells

    # -- the experts' organizations, from the registry's events; the wellbeing follow-ups -------------

    async def record_hours(self, engagement_id: uuid.UUID, hours: Decimal, connection: Any) -> None:
        await self._db(connection).execute(
            f"UPDATE {self.schema}.engagements SET hours = $2 WHERE engagement_id = $1", engagement_id, hours)

    async def remember_order(self, order_id: uuid.UUID, county_service: bool, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.orders (order_id, county_service) VALUES ($1, $2)
                ON CONFLICT (order_id) DO NOTHING""", order_id, county_service)

    async def remember_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        await self._db(connection).execute(
            f"""INSERT INTO {self.schema}.expert_organizations (expert_id, organization_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING""", expert_id, organization_id)

    async def forget_membership(self, expert_id: str, organization_id: str, connection: Any) -> None:
        await self._db(connection).execute(
            f"DELETE FROM {self.schema}.expert_organizations WHERE expert_id = $1 AND organization_id = $2",
            expert_id, organization_id)

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

"""The follow-up report's rollup: the report's additive figures (:mod:`services.feedback.cells`) summed for each
Finnish month, and from each month's first day up to each of its days (running totals), kept by the same
events as the form rows, in the same transaction. A report over any period reads each whole month's total and,
for a month it covers in part, two running totals (up to its last day in the period, less up to the day
before its first): a few rows for each group and month, whatever the period's length and however many
engagements it holds, instead of every form requested in it.

Each engagement's contribution to the rollup is a function of the read tables' rows about it (its forms, its
parties, its order, its payments, its expert's organizations and regions). Every change to those rows is
made inside :func:`restating`: the contribution of the engagements the change touches is taken out of the
rollup before the change and put back, from the changed rows, after it. An event delivered twice changes no
row the second time, so it takes out and puts back the same figures: the rollup is idempotent under
redelivery, whatever the order the streams arrive in. The rollup's writers take turns (a transaction lock),
so that two transactions never take out the same contribution twice.

Small numbers: the report suppresses a figure computed from fewer than ``MIN_CELL`` forms, answers or
engagements. These counts are sums, so the months' and running totals' counts give the period's exactly. The rule
does not count distinct people (it never did: one expert's five self-assessments make a shown average, and
the rule is about the answers a figure rests on); a count of distinct people could not be summed from daily
totals anyway, as the same person appears on many days. Showing only what rests on five distinct people
would need each group's people kept per period (or a sketch of them), not in this rollup.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from services.feedback.cells import Cells, Place
from services.feedback.domain import Status
from services.feedback.events import Form

# The fees and the whole sums paid for each engagement ``{where}`` picks (a payment that includes the fee pays
# the approved fee; without an approval, after a cancellation, the whole payment is the fee owed).
PAID = """SELECT p.engagement_id,
        sum(CASE WHEN p.includes_fee THEN least(coalesce(a.fee, p.total), p.total) ELSE 0 END) AS fees,
        sum(p.total) AS total
    FROM {schema}.payments AS p LEFT JOIN {schema}.approved_fees AS a USING (engagement_id)
    WHERE {where} GROUP BY p.engagement_id"""

# Each engagement's contribution, for the engagements ``{which}`` picks: its figures at every place it counts
# in (the joint place of its task kind and kind of orderer; each organization of its expert, and each region
# the expert is listed in, 'unknown' for none) on the Finnish day each form was requested (the engagement
# itself on its first form's day). Both forms of an engagement are requested together, on its delivery.
CONTRIBUTION = """WITH base AS MATERIALIZED (
        SELECT f.engagement_id, f.form, f.status, f.ratings, coalesce(f.questionnaire_version, 1) AS version,
               coalesce(e.task_type, 'unknown') AS task_type, coalesce(e.expert_id, '') AS expert_id,
               coalesce(e.hours, 0) AS hours,
               CASE o.county_service WHEN true THEN 'county' WHEN false THEN 'other' ELSE 'unknown' END
                   AS orderer_kind,
               (f.requested_at AT TIME ZONE 'Europe/Helsinki')::date AS day
        FROM {schema}.forms AS f LEFT JOIN {schema}.engagements AS e USING (engagement_id)
        LEFT JOIN {schema}.orders AS o ON o.order_id = e.order_id
        WHERE {which}),
    paid AS ({paid}),
    engagement AS (
        SELECT b.engagement_id, min(b.expert_id) AS expert_id, min(b.day) AS day, min(b.task_type) AS task_type,
               min(b.orderer_kind) AS orderer_kind, min(b.hours) AS hours,
               (count(*) FILTER (WHERE b.status = 'answered') = 2)::int AS complete,  -- one row a form
               coalesce(min(p.fees), 0) AS fees, coalesce(min(p.total - p.fees), 0) AS expenses
        FROM base AS b LEFT JOIN paid AS p USING (engagement_id) GROUP BY b.engagement_id),
    place AS (
        SELECT engagement_id, 'joint' AS dimension, '' AS grp, task_type, orderer_kind FROM engagement
        UNION ALL
        SELECT x.engagement_id, 'organization', coalesce(m.organization_id, 'unknown'), '', ''
            FROM engagement AS x LEFT JOIN {schema}.expert_organizations AS m USING (expert_id)
        UNION ALL
        SELECT x.engagement_id, 'region', coalesce(r.region, 'unknown'), '', ''
            FROM engagement AS x LEFT JOIN {schema}.expert_regions AS r USING (expert_id)),
    figure AS (
        SELECT engagement_id, day, 'engagements' AS kind, '' AS form, '' AS status, 0 AS version, '' AS question,
               1 AS n, complete::bigint AS total, hours, fees, expenses FROM engagement
        UNION ALL
        SELECT engagement_id, day, 'forms', form, status, 0, '', 1, 0, 0, 0, 0 FROM base
        UNION ALL
        SELECT b.engagement_id, b.day, 'ratings', b.form, '', b.version, r.key, 1, r.value::int, 0, 0, 0
            FROM base AS b, jsonb_each_text(b.ratings) AS r WHERE b.status = 'answered')
SELECT p.dimension, p.grp, p.task_type, p.orderer_kind, f.day, f.kind, f.form, f.status, f.version, f.question,
       sum(f.n) AS n, sum(f.total) AS total, sum(f.hours) AS hours, sum(f.fees) AS fees,
       sum(f.expenses) AS expenses
    FROM figure AS f JOIN place AS p USING (engagement_id)
    GROUP BY p.dimension, p.grp, p.task_type, p.orderer_kind, f.day, f.kind, f.form, f.status, f.version,
             f.question""".replace("{paid}", PAID.replace("{where}",
                                                           "p.engagement_id IN (SELECT engagement_id FROM base)"))

KEY = "grain, day, dimension, grp, task_type, orderer_kind, kind, form, status, version, question"

# The contribution added to the rollup ``{sign}`` times (1: put in; -1: taken out), on every grain: to its
# month's total (grain 'm', on the month's first day), to the month's running totals (grain 'c': from the
# month's first day up to and including each day) of its day and every later day of the month, and, for an
# organization or a region (the report shows them for the whole period, not by month), its quarter's total
# (grain 'q', on the quarter's first day).
APPLY = f"""INSERT INTO {{schema}}.rollup AS r ({KEY}, n, total, hours, fees, expenses)
    SELECT g.grain, g.day, c.dimension, c.grp, c.task_type, c.orderer_kind, c.kind, c.form, c.status, c.version,
           c.question, {{sign}} * sum(c.n), {{sign}} * sum(c.total), {{sign}} * sum(c.hours),
           {{sign}} * sum(c.fees), {{sign}} * sum(c.expenses)
    FROM ({CONTRIBUTION}) AS c CROSS JOIN LATERAL (
        SELECT 'q' AS grain, date_trunc('quarter', c.day)::date AS day WHERE c.dimension <> 'joint'
        UNION ALL
        SELECT 'm', date_trunc('month', c.day)::date
        UNION ALL
        SELECT 'c', d::date FROM generate_series(
            c.day, date_trunc('month', c.day) + interval '1 month - 1 day', interval '1 day') AS d) AS g
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ON CONFLICT ({KEY}) DO UPDATE SET n = r.n + excluded.n, total = r.total + excluded.total,
        hours = r.hours + excluded.hours, fees = r.fees + excluded.fees, expenses = r.expenses + excluded.expenses"""

# A place's figures taken out to nothing leave no row (the report would show its group with zeros).
FORGET_EMPTY = "DELETE FROM {schema}.rollup WHERE n = 0"

# The rollup made from the read tables where it is new (made after them): every engagement put in once.
BACKFILL = f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM {{schema}}.rollup) THEN
        {APPLY.format(schema="{schema}", which="true", sign=1)};
    END IF;
END $$;"""

# The period's figures from its pieces (grains, days and signs: see ``pieces``; $1-$3 by month for the joint
# places, $4-$6 with whole quarters for the others), a few rows for each place and month whatever the period's
# length; the joint places by Finnish month, the organizations' and regions' for the whole period. A group with
# nothing in the period sums to no engagements, forms or answers.
READ = """SELECT r.dimension, r.grp, r.task_type, r.orderer_kind,
        CASE r.dimension WHEN 'joint' THEN to_char(r.day, 'YYYY-MM') END AS month, r.kind, r.form, r.status,
        r.version, r.question, sum(p.sign * r.n)::bigint AS n, sum(p.sign * r.total)::bigint AS total,
        sum(p.sign * r.hours) AS hours, sum(p.sign * r.fees) AS fees, sum(p.sign * r.expenses) AS expenses
    FROM (SELECT true AS joint, * FROM unnest($1::text[], $2::date[], $3::int[]) AS j (grain, day, sign)
          UNION ALL
          SELECT false, * FROM unnest($4::text[], $5::date[], $6::int[]) AS o (grain, day, sign)) AS p
    JOIN {schema}.rollup AS r ON r.grain = p.grain::"char" AND r.day = p.day AND (r.dimension = 'joint') = p.joint
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 HAVING sum(p.sign * r.n) <> 0"""


def _next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def pieces(start: dt.date, until: dt.date, quarters: bool = True) -> list[tuple[str, dt.date, int]]:
    """The rollup's rows that sum to the period from ``start`` to ``until`` (both included), as (grain, day,
    sign): each whole quarter's total (unless not ``quarters``), each other whole month's, and for a month the
    period covers in part, the running total up to its last day in the period less the one up to the day
    before its first."""
    found = []
    day = start
    while day <= until:
        month_end = _next_month(day) - dt.timedelta(days=1)
        quarter_end = _next_month(_next_month(_next_month(day))) - dt.timedelta(days=1)
        if quarters and day.day == 1 and day.month % 3 == 1 and quarter_end <= until:
            found.append(("q", day, 1))
            month_end = quarter_end
        elif day.day == 1 and month_end <= until:
            found.append(("m", day, 1))
        else:
            found.append(("c", min(month_end, until), 1))
            if day.day != 1:
                found.append(("c", day - dt.timedelta(days=1), -1))
        day = month_end + dt.timedelta(days=1)
    return found


@asynccontextmanager
async def restating(conn: Any, schema: str, which: str, *args: Any) -> AsyncIterator[None]:
    """Take the contribution of the engagements whose forms ``which`` (an SQL condition on ``f``, the forms,
    with ``args``) picks out of the rollup, let the caller change their rows, and put it back from them."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"kokemus-rollup-{schema}".encode()))
    await conn.execute(APPLY.format(schema=schema, which=which, sign=-1), *args)
    yield
    await conn.execute(APPLY.format(schema=schema, which=which, sign=1), *args)
    await conn.execute(FORGET_EMPTY.format(schema=schema))


def of_engagement(engagement_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return "f.engagement_id = $1", engagement_id


def of_expert(schema: str, expert_id: str) -> tuple[str, str]:
    return f"f.engagement_id IN (SELECT engagement_id FROM {schema}.engagements WHERE expert_id = $1)", expert_id


def of_order(schema: str, order_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return f"f.engagement_id IN (SELECT engagement_id FROM {schema}.engagements WHERE order_id = $1)", order_id


async def read_cells(db: Any, schema: str, start: dt.date, until: dt.date) -> Cells:
    """The report's cells of the forms requested from ``start`` to ``until`` (Finnish days, both included)."""
    cells = Cells()
    arguments: list[list[Any]] = []
    for quarters in (False, True):
        found = pieces(start, until, quarters)
        arguments += [[grain for grain, _, _ in found], [day for _, day, _ in found], [sign for _, _, sign in found]]
    for row in await db.fetch(READ.format(schema=schema), *arguments):
        dimension, group = row["dimension"], row["grp"]
        place = (Place(group) if dimension == "organization" else Place(None, region=group) if dimension == "region"
                 else Place(None, row["month"], row["task_type"], row["orderer_kind"]))
        if row["kind"] == "forms":
            cells.add_forms((place, Form(row["form"]), Status(row["status"])), row["n"])
        elif row["kind"] == "engagements":
            cells.add_engagements(place, row["n"], row["total"], row["hours"])
            cells.add_paid(place, row["fees"], row["expenses"])
        else:
            cells.add_ratings((place, Form(row["form"]), row["version"], row["question"]), row["total"], row["n"])
    return cells

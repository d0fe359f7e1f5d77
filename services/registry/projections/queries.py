"""What the registry's tables answer: the queries of :class:`services.registry.views.RegistryViews`."""


from __future__ import annotations

import datetime as dt
import json

from services.registry.projections.recording import RecordedTables
from services.registry.views import (
    AccessRow,
    BankEntry,
    BankPage,
    BankQuery,
    CohortRow,
    OrdererRow,
    OrganizationRow,
    ProfileEntry,
    ProgrammeRow,
    ReviewItem,
    SituationRow,
    email_digest,
    sorted_capacities,
)
from shared.identity import Capacity


class RegistryTables(RecordedTables):
    """The registry's views in PostgreSQL: kept as :class:`RecordedTables` writes them, read here."""

    async def search_bank(self, *, topic: str | None = None, language: str | None = None,
                          region: str | None = None) -> list[BankEntry]:
        rows = await self.db.fetch(
            f"""SELECT expert_id, organization_ids, county_trained, topics, languages, regions FROM {self.schema}.bank
                WHERE ($1::text IS NULL OR $1 = ANY(topics)) AND ($2::text IS NULL OR $2 = ANY(languages))
                  AND ($3::text IS NULL OR $3 = ANY(regions) OR cardinality(regions) = 0)
                ORDER BY listed_at, expert_id""",
            topic, language, region,
        )
        return [BankEntry(row["expert_id"], list(row["organization_ids"]), row["county_trained"], list(row["topics"]),
                          list(row["languages"]), list(row["regions"])) for row in rows]

    async def credentials_valid(self, orderer_id: str, day: dt.date, acting_for: str | None) -> bool:
        return bool(await self.db.fetchval(
            f"""SELECT true FROM {self.schema}.orderers
                WHERE orderer_id = $1 AND NOT revoked AND (valid_until IS NULL OR valid_until >= $2)
                  AND (organization_id IS NULL OR organization_id = $3)""",
            orderer_id, day, acting_for,
        ))

    async def capacities(self, email: str, day: dt.date) -> list[Capacity]:
        rows = await self.db.fetch(
            f"""SELECT l.role, l.id, l.organization_id FROM {self.schema}.logins l
                WHERE l.email_digest = $1 AND (l.role <> 'orderer' OR EXISTS (
                    SELECT 1 FROM {self.schema}.orderers o WHERE o.orderer_id = l.id AND NOT o.revoked
                      AND (o.valid_until IS NULL OR o.valid_until >= $2)
                      AND (o.organization_id IS NULL OR o.organization_id = nullif(l.organization_id, ''))))""",
            email_digest(email), day,
        )
        return sorted_capacities(
            Capacity(role=row["role"], id=row["id"], organization_id=row["organization_id"] or None) for row in rows
        )

    async def organizations(self) -> list[OrganizationRow]:
        rows = await self.db.fetch(
            f"SELECT organization_id, name, kind FROM {self.schema}.organizations ORDER BY organization_id")
        return [OrganizationRow(row["organization_id"], row["name"], row["kind"]) for row in rows]

    async def orderers(self) -> list[OrdererRow]:
        rows = await self.db.fetch(
            f"""SELECT orderer_id, orderer_name, organization_id, valid_until, revoked FROM {self.schema}.orderers
                ORDER BY orderer_id""")
        return [OrdererRow(row["orderer_id"], row["orderer_name"], row["organization_id"], row["valid_until"],
                           row["revoked"]) for row in rows]

    async def members(self, organization_id: str) -> list[str]:
        rows = await self.db.fetch(
            f"SELECT expert_id FROM {self.schema}.members WHERE organization_id = $1 ORDER BY expert_id",
            organization_id)
        return [row["expert_id"] for row in rows]

    async def find_in_bank(self, query: BankQuery) -> BankPage:
        if query.relation == "own":
            named = "themes_own"
        elif query.relation == "relative":
            named = "themes_relative"
        else:
            named = "themes"
        matched = f"cardinality(ARRAY(SELECT unnest({named}) INTERSECT SELECT unnest($1::text[])))"
        where = f"""listed AND (cardinality($1::text[]) = 0 OR {named} && $1::text[])
            AND ($2::text IS NULL OR $2 = ANY(regions) OR cardinality(regions) = 0)
            AND ($3::text IS NULL OR municipality = $3) AND ($4::text IS NULL OR $4 = ANY(languages))
            AND ($5::text IS NULL OR $5 = ANY(organization_ids)) AND ($6::text IS NULL OR $6 = ANY(task_kinds))
            AND ($7::text IS NULL OR $7 = ANY(further_trainings))
            AND ($8::date IS NULL OR (extract(isodow FROM $8::date)::int = ANY(weekdays) AND NOT EXISTS (
                SELECT 1 FROM unnest(blackout_starts, blackout_ends) AS b(starts_on, ends_on)
                WHERE $8::date BETWEEN b.starts_on AND b.ends_on)))"""
        values = (list(query.themes), query.region, query.municipality, query.language, query.organization_id,
                  query.task_kind, query.further_training, query.available_on)
        rows = await self.db.fetch(
            f"""SELECT expert_id, organization_ids, themes_own, themes_relative, municipality, regions, languages,
                       task_kinds, further_trainings, weekdays, last_active, {matched} AS matched,
                       (SELECT count(*) FROM unnest(assignments) a WHERE $9::timestamptz IS NULL OR a >= $9)::int
                           AS recent,
                       count(*) OVER () AS total
                FROM {self.schema}.profiles WHERE {where}
                ORDER BY matched DESC, coalesce(last_active >= $9, last_active IS NOT NULL) DESC, recent,
                         last_active DESC NULLS LAST, expert_id
                OFFSET $10 LIMIT $11""",
            *values, query.since, query.offset, query.limit)
        total = rows[0]["total"] if rows else await self.db.fetchval(
            f"SELECT count(*) FROM {self.schema}.profiles WHERE {where}", *values)
        return BankPage(int(total), [ProfileEntry(
            row["expert_id"], list(row["organization_ids"]), list(row["themes_own"]), list(row["themes_relative"]),
            row["municipality"], list(row["regions"]), list(row["languages"]), list(row["task_kinds"]),
            list(row["further_trainings"]), list(row["weekdays"]), row["matched"], row["last_active"], row["recent"])
            for row in rows])

    async def profiles_to_review(self, organization_id: str | None) -> list[ReviewItem]:
        rows = await self.db.fetch(
            f"""SELECT r.expert_id, r.listing, r.submitted_at FROM {self.schema}.reviews r
                WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM {self.schema}.members m
                                                  WHERE m.organization_id = $1 AND m.expert_id = r.expert_id)
                ORDER BY r.submitted_at, r.expert_id""", organization_id)
        return [ReviewItem(row["expert_id"], row["listing"], row["submitted_at"]) for row in rows]

    async def consents_due(self, today: dt.date, remind_days: int) -> list[str]:
        rows = await self.db.fetch(
            f"""SELECT DISTINCT expert_id FROM {self.schema}.consents
                WHERE valid_until IS NOT NULL AND (valid_until < $1 OR (valid_until - $1 <= $2
                      AND reminded_for IS DISTINCT FROM valid_until))
                ORDER BY expert_id""", today, remind_days)
        return [row["expert_id"] for row in rows]

    async def retention_due(self, inactive_since: dt.datetime) -> list[str]:
        rows = await self.db.fetch(
            f"""SELECT expert_id FROM {self.schema}.profiles
                WHERE NOT active AND deactivated_at < $1 AND coalesce(last_active < $1, true)
                  AND NOT EXISTS (SELECT FROM unnest(assignments) a WHERE a >= $1)
                ORDER BY expert_id""", inactive_since)
        return [row["expert_id"] for row in rows]

    async def programmes(self) -> list[ProgrammeRow]:
        rows = await self.db.fetch(
            f"SELECT programme_id, name, kind, organization_id, modules FROM {self.schema}.programmes "
            "ORDER BY programme_id")
        return [ProgrammeRow(row["programme_id"], row["name"], row["kind"], row["organization_id"],
                             json.loads(row["modules"])) for row in rows]

    async def cohorts(self, organization_id: str | None) -> list[CohortRow]:
        rows = await self.db.fetch(
            f"""SELECT cohort_id, programme_id, organization_id, starts_on, ends_on, participants
                FROM {self.schema}.cohorts WHERE $1::text IS NULL OR organization_id = $1
                ORDER BY starts_on DESC, cohort_id""", organization_id)
        return [CohortRow(row["cohort_id"], row["programme_id"], row["organization_id"], row["starts_on"],
                          row["ends_on"], row["participants"]) for row in rows]

    async def access_log(self, *, expert_id: str | None = None, viewer_id: str | None = None,
                         since: dt.datetime | None = None, limit: int = 200) -> list[AccessRow]:
        rows = await self.db.fetch(
            f"""SELECT at, kind, viewer_id, viewer_role, viewer_organization_id, purpose, expert_id
                FROM {self.schema}.access_log
                WHERE ($1::text IS NULL OR expert_id = $1) AND ($2::text IS NULL OR viewer_id = $2)
                  AND ($3::timestamptz IS NULL OR at >= $3)
                ORDER BY at DESC, n LIMIT $4""", expert_id, viewer_id, since, limit)
        return [AccessRow(row["at"], row["kind"], row["viewer_id"], row["viewer_role"],
                          row["viewer_organization_id"], row["purpose"], row["expert_id"]) for row in rows]

    async def situation(self, organization_id: str | None, active_since: dt.datetime) -> list[SituationRow]:
        rows = await self.db.fetch(
            f"""SELECT o.organization_id, o.name,
                       count(p.expert_id)::int AS experts,
                       count(p.expert_id) FILTER (WHERE p.basic_trained)::int AS trained,
                       count(p.expert_id) FILTER (WHERE p.listed)::int AS listed,
                       count(p.expert_id) FILTER (WHERE p.active AND p.last_active >= $2)::int AS active,
                       (SELECT count(*) FROM {self.schema}.cohorts c
                        WHERE c.organization_id = o.organization_id)::int AS cohorts,
                       (SELECT count(*) FROM {self.schema}.completions t
                        WHERE t.trained_by = o.organization_id)::int AS trainings_completed,
                       (SELECT coalesce(jsonb_object_agg(theme, n), '{{}}') FROM (
                            SELECT theme, count(*) AS n FROM {self.schema}.members m2
                            JOIN {self.schema}.profiles p2 ON p2.expert_id = m2.expert_id AND p2.listed,
                                 unnest(p2.themes) AS theme
                            WHERE m2.organization_id = o.organization_id GROUP BY theme) x) AS by_theme,
                       (SELECT coalesce(jsonb_object_agg(region, n), '{{}}') FROM (
                            SELECT region, count(*) AS n FROM {self.schema}.members m3
                            JOIN {self.schema}.profiles p3 ON p3.expert_id = m3.expert_id AND p3.listed,
                                 unnest(p3.regions) AS region
                            WHERE m3.organization_id = o.organization_id GROUP BY region) y) AS by_region
                FROM {self.schema}.organizations o
                LEFT JOIN {self.schema}.members m ON m.organization_id = o.organization_id
                LEFT JOIN {self.schema}.profiles p ON p.expert_id = m.expert_id
                WHERE $1::text IS NULL OR o.organization_id = $1
                GROUP BY o.organization_id, o.name ORDER BY o.organization_id""", organization_id, active_since)
        return [SituationRow(row["organization_id"], row["name"], row["experts"], row["trained"], row["listed"],
                             row["active"], dict(sorted(json.loads(row["by_theme"]).items())),
                             dict(sorted(json.loads(row["by_region"]).items())), row["cohorts"],
                             row["trainings_completed"]) for row in rows]

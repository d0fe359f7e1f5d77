"""The registry's views in PostgreSQL (schema.sql), kept from its own events inside the recording
transaction; they implement :class:`services.registry.views.RegistryViews`."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from services.registry import events as ev
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
    split_themes,
)
from shared.envelope import Envelope
from shared.events import Role
from shared.identity import Capacity
from shared.projection import PostgresViews

SQL = resources.files("services.registry").joinpath("schema.sql").read_text()


class RegistryTables(PostgresViews):
    async def on_OrganizationRegistered(self, e: ev.OrganizationRegistered, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organizations (organization_id, name, kind, contact_person_id)
                VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id) DO NOTHING""",
            e.organization_id, e.name, e.kind.value, e.contact_person_id,
        )

    async def _login(self, conn: Any, email: str | None, capacity: Capacity) -> None:
        if email:
            await conn.execute(
                f"""INSERT INTO {self.schema}.logins (email_digest, role, id, organization_id) VALUES ($1, $2, $3, $4)
                    ON CONFLICT DO NOTHING""",
                email_digest(email), capacity.role.value, capacity.id, capacity.organization_id or "",
            )

    async def on_ExpertRegistered(self, e: ev.ExpertRegistered, conn: Any, _: Envelope[Any]) -> None:
        await self._login(conn, e.email, Capacity(role=Role.expert, id=e.expert_id))
        await self._member(conn, e.organization_id, e.expert_id)
        await conn.execute(
            f"""INSERT INTO {self.schema}.profiles (expert_id, organization_ids) VALUES ($1, $2)
                ON CONFLICT (expert_id) DO NOTHING""", e.expert_id, [e.organization_id])

    async def on_ExpertJoinedOrganization(self, e: ev.ExpertJoinedOrganization, conn: Any, _: Envelope[Any]) -> None:
        await self._member(conn, e.organization_id, e.expert_id)
        await self._profile(conn, e.expert_id, """organization_ids = CASE WHEN $2 = ANY(organization_ids)
            THEN organization_ids ELSE organization_ids || $2 END""", e.organization_id)

    async def on_ExpertLeftOrganization(self, e: ev.ExpertLeftOrganization, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.members WHERE organization_id = $1 AND expert_id = $2",
                           e.organization_id, e.expert_id)
        await self._profile(conn, e.expert_id, "organization_ids = array_remove(organization_ids, $2)",
                            e.organization_id)
        await self._touch(conn, e.expert_id, event)

    async def _profile(self, conn: Any, expert_id: str, assignments: str, *values: Any) -> None:
        """Change the expert's row of the profiles table (made first if the expert's registration is older)."""
        await conn.execute(f"INSERT INTO {self.schema}.profiles (expert_id) VALUES ($1) ON CONFLICT DO NOTHING",
                           expert_id)
        await conn.execute(f"UPDATE {self.schema}.profiles SET {assignments} WHERE expert_id = $1", expert_id, *values)

    async def _touch(self, conn: Any, expert_id: str, event: Envelope[Any]) -> None:
        """The expert did something themself: recent activity, for the bank's ranking."""
        if event.actor.role is Role.expert and event.actor.id == expert_id:
            await conn.execute(f"UPDATE {self.schema}.profiles SET last_active = $2 WHERE expert_id = $1",
                               expert_id, event.recorded_at)

    async def on_TrainingCompleted(self, e: ev.TrainingCompleted, conn: Any, event: Envelope[Any]) -> None:
        if e.kind is ev.TrainingKind.basic:
            await self._profile(conn, e.expert_id, "basic_trained = true, county_trained = county_trained OR $2",
                                e.by_county)
        else:
            await self._profile(conn, e.expert_id, """further_trainings = CASE WHEN $2 = ANY(further_trainings)
                THEN further_trainings ELSE (SELECT array_agg(t ORDER BY t) FROM unnest(further_trainings || $2) t)
                END, county_trained = county_trained OR $3""", e.programme_id or e.training, e.by_county)
        await conn.execute(f"""INSERT INTO {self.schema}.completions (trained_by, expert_id, event_id)
                               VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""", e.trained_by, e.expert_id,
                           event.event_id)

    async def on_ExpertDeactivated(self, e: ev.ExpertDeactivated, conn: Any, _: Envelope[Any]) -> None:
        await self._profile(conn, e.expert_id, "active = false")

    async def on_ExpertProfileChanged(self, e: ev.ExpertProfileChanged, conn: Any, event: Envelope[Any]) -> None:
        await self._touch(conn, e.expert_id, event)

    async def on_ProfileSubmittedForReview(self, e: ev.ProfileSubmittedForReview, conn: Any,
                                           event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.reviews (expert_id, listing, submitted_at) VALUES ($1, $2, $3)
                ON CONFLICT (expert_id) DO UPDATE
                SET listing = excluded.listing, submitted_at = excluded.submitted_at""",
            e.expert_id, e.listing, event.recorded_at)
        await self._touch(conn, e.expert_id, event)

    async def on_ProfileApproved(self, e: ev.ProfileApproved, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.reviews WHERE expert_id = $1", e.expert_id)
        own, relative = split_themes(e.themes)
        await self._profile(
            conn, e.expert_id, """themes_own = $2, themes_relative = $3, themes = $4, municipality = $5,
                regions = $6, languages = $7, task_kinds = $8""",
            own, relative, sorted({*own, *relative}), e.municipality, list(e.regions), list(e.languages),
            [kind.value for kind in e.task_kinds])

    async def on_ProfileReturned(self, e: ev.ProfileReturned, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.reviews WHERE expert_id = $1", e.expert_id)

    async def on_AvailabilityChanged(self, e: ev.AvailabilityChanged, conn: Any, event: Envelope[Any]) -> None:
        await self._profile(conn, e.expert_id, "weekdays = $2, blackout_starts = $3, blackout_ends = $4",
                            list(e.weekdays), [b.starts_on for b in e.blackouts or []],
                            [b.ends_on for b in e.blackouts or []])
        await self._touch(conn, e.expert_id, event)

    async def on_ConsentGiven(self, e: ev.ConsentGiven, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.consents (expert_id, scope, valid_until) VALUES ($1, $2, $3)
                ON CONFLICT (expert_id, scope) DO UPDATE SET valid_until = excluded.valid_until, reminded_for = NULL""",
            e.expert_id, e.scope, e.valid_until)
        await self._touch(conn, e.expert_id, event)

    async def on_ConsentWithdrawn(self, e: ev.ConsentWithdrawn, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.consents WHERE expert_id = $1 AND scope = $2",
                           e.expert_id, e.scope)

    async def on_ConsentExpired(self, e: ev.ConsentExpired, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.consents WHERE expert_id = $1 AND scope = $2",
                           e.expert_id, e.scope)

    async def on_ConsentExpiryReminded(self, e: ev.ConsentExpiryReminded, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.consents SET reminded_for = $3 WHERE expert_id = $1 AND scope = $2",
                           e.expert_id, e.scope, e.valid_until)

    async def on_TrainingProgrammeDefined(self, e: ev.TrainingProgrammeDefined, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.programmes (programme_id, name, kind, organization_id, modules)
                VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (programme_id) DO NOTHING""",
            e.programme_id, e.name, e.kind.value, e.organization_id,
            json.dumps([{"module_id": module.module_id, "name": module.name} for module in e.modules]))

    async def on_CohortOpened(self, e: ev.CohortOpened, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.cohorts (cohort_id, programme_id, organization_id, starts_on, ends_on)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cohort_id) DO NOTHING""",
            e.cohort_id, e.programme_id, e.organization_id, e.starts_on, e.ends_on)

    async def on_ParticipantEnrolled(self, e: ev.ParticipantEnrolled, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.cohorts SET participants = participants + 1 WHERE cohort_id = $1",
                           e.cohort_id)

    async def on_BankSearched(self, e: ev.BankSearched, conn: Any, event: Envelope[Any]) -> None:
        await self._accessed(conn, event, "search", e, e.expert_ids)

    async def on_ProfileViewed(self, e: ev.ProfileViewed, conn: Any, event: Envelope[Any]) -> None:
        await self._accessed(conn, event, "view", e, [e.expert_id])

    async def _accessed(self, conn: Any, event: Envelope[Any], kind: str, e: ev.BankSearched | ev.ProfileViewed,
                        expert_ids: list[str]) -> None:
        if expert_ids:
            await conn.execute(
                f"""INSERT INTO {self.schema}.access_log
                        (at, kind, viewer_id, viewer_role, viewer_organization_id, purpose, expert_id)
                    SELECT $1, $2, $3, $4, $5, $6, expert_id FROM unnest($7::text[]) WITH ORDINALITY AS x(expert_id, n)
                    ORDER BY n""",
                event.recorded_at, kind, e.viewer_id, e.viewer_role, e.viewer_organization_id, e.purpose.value,
                expert_ids)

    async def _member(self, conn: Any, organization_id: str, expert_id: str) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.members (organization_id, expert_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING""",
            organization_id, expert_id,
        )

    async def on_ExpertErased(self, e: ev.ExpertErased, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.logins WHERE role = 'expert' AND id = $1", e.expert_id)
        for table in ("profiles", "reviews", "consents"):
            await conn.execute(f"DELETE FROM {self.schema}.{table} WHERE expert_id = $1", e.expert_id)

    async def on_ContactPersonAppointed(self, e: ev.ContactPersonAppointed, conn: Any, _: Envelope[Any]) -> None:
        await self._login(conn, e.email, Capacity(role=Role.organization_contact, id=e.person_id,
                                                  organization_id=e.organization_id))

    async def on_ContactPersonRemoved(self, e: ev.ContactPersonRemoved, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""DELETE FROM {self.schema}.logins
                WHERE role = 'organization_contact' AND id = $1 AND organization_id = $2""",
            e.person_id, e.organization_id,
        )

    async def on_ExpertListed(self, e: ev.ExpertListed, conn: Any, event: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.bank
                    (expert_id, organization_ids, county_trained, topics, languages, regions, listed_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (expert_id) DO UPDATE SET organization_ids = excluded.organization_ids,
                    county_trained = excluded.county_trained, topics = excluded.topics,
                    languages = excluded.languages, regions = excluded.regions, listed_at = excluded.listed_at""",
            e.expert_id, e.organization_ids, e.county_trained, e.topics or [], e.languages, e.regions,
            event.recorded_at,
        )
        await self._profile(conn, e.expert_id, """listed = true, organization_ids = $2, county_trained = $3,
            languages = $4, regions = $5""", list(e.organization_ids), e.county_trained, list(e.languages),
                            list(e.regions))

    async def on_ExpertUnlisted(self, e: ev.ExpertUnlisted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.bank WHERE expert_id = $1", e.expert_id)
        await conn.execute(f"UPDATE {self.schema}.profiles SET listed = false WHERE expert_id = $1", e.expert_id)

    async def on_OrdererCredentialsGranted(self, e: ev.OrdererCredentialsGranted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.orderers (orderer_id, orderer_name, organization_id, valid_until, revoked)
                VALUES ($1, $2, $3, $4, false)
                ON CONFLICT (orderer_id) DO UPDATE SET orderer_name = excluded.orderer_name,
                    organization_id = excluded.organization_id, valid_until = excluded.valid_until,
                    revoked = false""",
            e.orderer_id, e.orderer_name or "", e.organization_id, e.valid_until,
        )
        await conn.execute(f"DELETE FROM {self.schema}.logins WHERE role = 'orderer' AND id = $1", e.orderer_id)
        await self._login(conn, e.email, Capacity(role=Role.orderer, id=e.orderer_id,
                                                  organization_id=e.organization_id))

    async def on_OrdererCredentialsRevoked(self, e: ev.OrdererCredentialsRevoked, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"UPDATE {self.schema}.orderers SET revoked = true WHERE orderer_id = $1", e.orderer_id)

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

    async def credentials_valid(self, orderer_id: str, day: dt.date) -> bool:
        return bool(await self.db.fetchval(
            f"""SELECT true FROM {self.schema}.orderers
                WHERE orderer_id = $1 AND NOT revoked AND (valid_until IS NULL OR valid_until >= $2)""",
            orderer_id, day,
        ))

    async def capacities(self, email: str, day: dt.date) -> list[Capacity]:
        rows = await self.db.fetch(
            f"""SELECT l.role, l.id, l.organization_id FROM {self.schema}.logins l
                WHERE l.email_digest = $1 AND (l.role <> 'orderer' OR EXISTS (
                    SELECT 1 FROM {self.schema}.orderers o WHERE o.orderer_id = l.id AND NOT o.revoked
                      AND (o.valid_until IS NULL OR o.valid_until >= $2)))""",
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
                ORDER BY matched DESC, last_active DESC NULLS LAST, recent, expert_id
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

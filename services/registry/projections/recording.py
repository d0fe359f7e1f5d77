"""The registry's tables in PostgreSQL (schema.sql), kept from its own events inside the recording transaction."""


from __future__ import annotations

import json
from importlib import resources
from typing import Any

from services.orders import events as orders
from services.registry import events as ev
from services.registry.views import (
    email_digest,
    split_themes,
)
from shared.envelope import Envelope
from shared.events import Role
from shared.identity import Capacity
from shared.projection import PostgresViews

SQL = resources.files("services.registry").joinpath("schema.sql").read_text()



class RecordedTables(PostgresViews):
    """Writes the tables: one ``on_<EventType>`` per event the registry's views follow."""

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

    async def on_EngagementOpened(self, e: orders.EngagementOpened, conn: Any, event: Envelope[Any]) -> None:
        """The orders service engaged the expert: an assignment, for the bank's ranking (work spreads to those
        with fewer). An erased expert has no row, and gets none."""
        await conn.execute(f"UPDATE {self.schema}.profiles SET assignments = assignments || $2 WHERE expert_id = $1",
                           e.expert_id, [event.recorded_at])

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

    async def on_ExpertDeactivated(self, e: ev.ExpertDeactivated, conn: Any, event: Envelope[Any]) -> None:
        await self._profile(conn, e.expert_id, "active = false, deactivated_at = $2", event.recorded_at)

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
        # The access log too: who looked at the erased expert, and when, is about them (their id is in each row).
        for table in ("profiles", "reviews", "consents", "access_log"):
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

    async def on_OrdererErased(self, e: ev.OrdererErased, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.logins WHERE role = 'orderer' AND id = $1", e.orderer_id)
        await conn.execute(f"DELETE FROM {self.schema}.orderers WHERE orderer_id = $1", e.orderer_id)

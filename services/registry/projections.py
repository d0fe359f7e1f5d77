"""The registry's views in PostgreSQL (schema.sql), kept from its own events inside the recording
transaction; they implement :class:`services.registry.views.RegistryViews`."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from services.registry import events as ev
from services.registry.views import BankEntry, OrdererRow, OrganizationRow, email_digest, sorted_capacities
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

    async def on_ExpertJoinedOrganization(self, e: ev.ExpertJoinedOrganization, conn: Any, _: Envelope[Any]) -> None:
        await self._member(conn, e.organization_id, e.expert_id)

    async def _member(self, conn: Any, organization_id: str, expert_id: str) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.members (organization_id, expert_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING""",
            organization_id, expert_id,
        )

    async def on_ExpertErased(self, e: ev.ExpertErased, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.logins WHERE role = 'expert' AND id = $1", e.expert_id)

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
            e.expert_id, e.organization_ids, e.county_trained, e.topics, e.languages, e.regions, event.recorded_at,
        )

    async def on_ExpertUnlisted(self, e: ev.ExpertUnlisted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.bank WHERE expert_id = $1", e.expert_id)

    async def on_OrdererCredentialsGranted(self, e: ev.OrdererCredentialsGranted, conn: Any, _: Envelope[Any]) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.orderers (orderer_id, orderer_name, organization_id, valid_until, revoked)
                VALUES ($1, $2, $3, $4, false)
                ON CONFLICT (orderer_id) DO UPDATE SET orderer_name = excluded.orderer_name,
                    organization_id = excluded.organization_id, valid_until = excluded.valid_until,
                    revoked = false""",
            e.orderer_id, e.orderer_name, e.organization_id, e.valid_until,
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

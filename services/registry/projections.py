"""The registry's read tables, updated from its own events inside the recording transaction."""

from __future__ import annotations

from importlib import resources
from typing import Any

from shared.events import RecordedEvent
from shared.projection import Projection
from services.registry import events as ev

SQL = resources.files("services.registry").joinpath("schema.sql").read_text()


class RegistryTables(Projection):
    async def on_OrganizationRegistered(self, e: ev.OrganizationRegistered, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.organizations (organization_id, name, kind, contact_person_id)
                VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id) DO NOTHING""",
            e.organization_id, e.name, e.kind.value, e.contact_person_id,
        )

    async def on_ExpertListed(self, e: ev.ExpertListed, conn: Any, event: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.bank
                    (expert_id, organization_ids, county_trained, topics, languages, regions, listed_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (expert_id) DO UPDATE SET organization_ids = excluded.organization_ids,
                    county_trained = excluded.county_trained, topics = excluded.topics,
                    languages = excluded.languages, regions = excluded.regions, listed_at = excluded.listed_at""",
            e.expert_id, e.organization_ids, e.county_trained, e.topics, e.languages, e.regions, event.recorded_at,
        )

    async def on_ExpertUnlisted(self, e: ev.ExpertUnlisted, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(f"DELETE FROM {self.schema}.bank WHERE expert_id = $1", e.expert_id)

    async def on_OrdererCredentialsGranted(self, e: ev.OrdererCredentialsGranted, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(
            f"""INSERT INTO {self.schema}.orderers (orderer_id, orderer_name, organization_id, valid_until, revoked)
                VALUES ($1, $2, $3, $4, false)
                ON CONFLICT (orderer_id) DO UPDATE SET orderer_name = excluded.orderer_name,
                    organization_id = excluded.organization_id, valid_until = excluded.valid_until,
                    revoked = false""",
            e.orderer_id, e.orderer_name, e.organization_id, e.valid_until,
        )

    async def on_OrdererCredentialsRevoked(self, e: ev.OrdererCredentialsRevoked, conn: Any, _: RecordedEvent) -> None:
        await conn.execute(f"UPDATE {self.schema}.orderers SET revoked = true WHERE orderer_id = $1", e.orderer_id)

"""What the handlers read besides aggregates: the port, and its PostgreSQL adapter over the read tables of
:mod:`services.orders.projections`. Unit tests give the handlers an in-memory fake of the same port."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

import asyncpg

from services.orders.domain import Agreement, Credentials, EngagementStatus, ListedExpert, Membership
from services.registry.events import OrganizationKind


class ReadModel(Protocol):
    async def credentials(self, orderer_id: str) -> Credentials | None:
        """The orderer's credentials as last granted or revoked, or None if never granted."""

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        """The expert with their organizations and those organizations' agreements, or None if not listed."""

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        """The orders that have an open offer whose time is up at ``now``."""

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        """Engagement summaries (ids, date, status), newest first, narrowed by the arguments given."""


class PostgresReadModel:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def credentials(self, orderer_id: str) -> Credentials | None:
        row = await self.pool.fetchrow(
            f"SELECT organization_id, valid_until, revoked FROM {self.schema}.orderer_credentials WHERE orderer_id = $1",
            orderer_id,
        )
        return None if row is None else Credentials(orderer_id, row["organization_id"], row["valid_until"], row["revoked"])

    async def listed_expert(self, expert_id: str) -> ListedExpert | None:
        s = self.schema
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            expert = await conn.fetchrow(
                f"SELECT organization_ids, county_trained FROM {s}.listed_experts WHERE expert_id = $1", expert_id)
            if expert is None:
                return None
            ids = list(expert["organization_ids"])
            kinds = dict(await conn.fetch(
                f"SELECT organization_id, kind FROM {s}.organizations WHERE organization_id = ANY($1)", ids))
            agreements = await conn.fetch(
                f"""SELECT organization_id, valid_from, valid_until, ended_on FROM {s}.organization_agreements
                    WHERE organization_id = ANY($1)""", ids)
        memberships = tuple(
            Membership(
                organization_id,
                is_ngo=kinds.get(organization_id) == OrganizationKind.ngo.value,
                agreements=tuple(Agreement(a["valid_from"], a["valid_until"], a["ended_on"])
                                 for a in agreements if a["organization_id"] == organization_id),
            )
            for organization_id in ids
        )
        return ListedExpert(expert_id, expert["county_trained"], memberships)

    async def orders_with_offers_due(self, now: dt.datetime) -> list[uuid.UUID]:
        rows = await self.pool.fetch(
            f"SELECT DISTINCT order_id FROM {self.schema}.offers WHERE status = 'open' AND expires_at <= $1", now)
        return [row["order_id"] for row in rows]

    async def engagements(self, *, orderer_id: str | None = None, expert_id: str | None = None,
                          status: EngagementStatus | None = None) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            f"""SELECT engagement_id, order_id, offer_id, expert_id, orderer_id, task_type, date, status
                FROM {self.schema}.engagements
                WHERE ($1::text IS NULL OR orderer_id = $1) AND ($2::text IS NULL OR expert_id = $2)
                  AND ($3::text IS NULL OR status = $3)
                ORDER BY opened_at DESC, engagement_id""",
            orderer_id, expert_id, status.value if status else None,
        )
        return [dict(row) for row in rows]

"""A stream whose last event is removed by hand in PostgreSQL is caught against the audit's copies."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.conftest import eventually, every_service
from tests.integration.engagement_steps import (
    AUDITOR,
    ask,
    set_up_registry,
    verify_all_from,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def system(environment):
    async with every_service(environment) as nc:
        yield nc


async def test_removing_the_last_event_of_a_stream_is_caught_against_the_audits_copies(system, environment):
    """A stream's own chain cannot show that its last event was deleted; the audit's copy of it can."""
    nc = system
    # ... the last event of stream organization-mieli is the agreement in force (its 6th: registered, a contact
    # person appointed, the agreement drafted, signed by the county, by the organization, in force)
    await set_up_registry(nc)
    last = 6

    async def copied():
        heads = await ask(nc, "audit.query.copy_heads", {"actor": AUDITOR, "service": "registry"})
        return heads["heads"].get("organization-mieli", {}).get("version") == last
    await eventually(copied)
    assert (await verify_all_from(environment))["intact"]

    dsn = urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        agreement = await conn.fetchval(
            "DELETE FROM registry.events WHERE stream_id = 'organization-mieli' AND version = $1 RETURNING event_id",
            last)
    finally:
        await conn.close()

    report = await verify_all_from(environment)
    [own_chain] = [s for s in report["stores"] if s["store"] == "registry"]
    assert own_chain["intact"], "the shortened chain is still a valid chain on its own"
    [against_copies] = [s for s in report["stores"] if s["store"] == "registry against the audit's copies"]
    [broken] = against_copies["breaks"]
    assert not report["intact"] and (broken["stream_id"], broken["version"]) == ("organization-mieli", last)
    assert "removed" in broken["reason"]
    assert agreement is not None

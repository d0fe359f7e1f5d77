"""The command line against running services: events as another system sees them, and dead letters."""

from __future__ import annotations

import asyncio

import nats
import pytest
from typer.testing import CliRunner

from kokemus.main import app
from services.registry.service import definition
from shared.messaging.rpc import request
from shared.runtime.service import ServiceRuntime
from shared.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]
COORDINATOR = {"id": "anna", "role": "coordinator"}


@pytest.fixture
async def registry(environment, monkeypatch):
    monkeypatch.setenv("KOKEMUS_NATS_URL", environment.nats_url)
    load_settings.cache_clear()
    runtime = ServiceRuntime(definition(), environment.settings("registry"))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    yield nc
    await nc.close()
    await runtime.stop()
    load_settings.cache_clear()


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


async def test_events_tail_prints_published_events_from_the_start(registry):
    for n in range(2):
        await request(registry, "kokemus.registry.cmd.register_organization",
                      {"actor": COORDINATOR, "organization_id": f"org-{n}", "name": f"Org {n}", "kind": "ngo"})
    result = await asyncio.wait_for(asyncio.to_thread(
        cli, "events", "tail", "kokemus.registry.events.>", "--from-start", "--count", "2"), 60)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "OrganizationRegistered" in line]
    assert len(lines) == 2 and "organization-org-0" in lines[0] and "coordinator:anna" in lines[0]


async def test_dlq_list_shows_an_empty_table_and_replay_of_an_unknown_letter_is_a_clear_error(registry):
    listed = await asyncio.to_thread(cli, "dlq", "list", "registry")
    assert listed.exit_code == 0 and "dead letters of registry" in listed.output
    replayed = await asyncio.to_thread(cli, "dlq", "replay", "registry", "12345")
    assert replayed.exit_code == 1 and "not_found" in replayed.output and "Traceback" not in replayed.output


async def test_a_service_that_is_not_running_is_named_not_a_traceback(registry):
    result = await asyncio.to_thread(cli, "dlq", "list", "orders")
    assert result.exit_code == 1 and "unavailable" in result.output and "Traceback" not in result.output

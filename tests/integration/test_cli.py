"""The command line against running services: events as another system sees them, and dead letters."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import nats
import pytest
from typer.testing import CliRunner

from kokemus.main import app
from services.registry.service import definition
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.command_line import command_line_signed_in
from tests.conftest import eventually

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "identity")]
COORDINATOR = {"id": "anna", "role": "coordinator"}


@pytest.fixture
async def registry(environment, monkeypatch, tmp_path):
    """The registry, and the command line signed in as a coordinator."""
    runtime = ServiceRuntime(definition(), environment.settings("registry", development_sign_in=True))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    try:
        async with command_line_signed_in(environment, monkeypatch, tmp_path, staff_role="coordinator"):
            yield nc
    finally:
        await nc.close()
        await runtime.stop()


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


async def kokemus(*args: str, nats_url: str) -> subprocess.CompletedProcess[str]:
    """The command line as its own process, killed if it has not ended within a minute."""
    env = {**os.environ, "KOKEMUS_NATS_URL": nats_url, "COLUMNS": "200"}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "kokemus", *args], env=env,
                                   capture_output=True, text=True, timeout=60)


async def registered(nc: nats.NATS, organizations: int) -> None:
    for n in range(organizations):
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"actor": COORDINATOR, "organization_id": f"org-{n}", "name": f"Org {n}", "kind": "ngo"})

    async def published() -> bool:  # the relay has put every event into the stream
        return (await nc.jetstream().stream_info("KOKEMUS_REGISTRY")).state.messages >= organizations

    await eventually(published)


async def test_events_tail_prints_published_events_from_the_start(registry, environment):
    await registered(registry, 2)
    result = await kokemus("events", "tail", "kokemus.registry.events.>", "--from-start", "--count", "2",
                           nats_url=environment.nats_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "OrganizationRegistered" in line]
    assert len(lines) == 2 and "organization-org-0" in lines[0] and "coordinator:anna" in lines[0]


async def test_events_tail_stops_after_count_events_in_all_and_prints_no_more(registry, environment):
    await registered(registry, 20)
    result = await kokemus("events", "tail", "--from-start", "--count", "2", nats_url=environment.nats_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len([line for line in result.stdout.splitlines() if " stream=" in line]) == 2, result.stdout


@pytest.mark.parametrize("subject", ["kokemus.nosuch.events.>", "kokemus.orders.events.>"])
async def test_events_tail_on_a_subject_no_stream_carries_says_so_and_fails(registry, environment, subject):
    # No service's events match the first; the second is the orders service's, which has not run here.
    result = await kokemus("events", "tail", subject, nats_url=environment.nats_url)
    assert result.returncode == 1 and f"no stream carries {subject}" in result.stderr, result.stdout + result.stderr


async def test_dlq_list_shows_an_empty_table_and_replay_of_an_unknown_letter_is_a_clear_error(registry):
    listed = await asyncio.to_thread(cli, "dlq", "list", "registry")
    assert listed.exit_code == 0 and "dead letters of registry" in listed.output
    replayed = await asyncio.to_thread(cli, "dlq", "replay", "registry", "12345")
    assert replayed.exit_code == 1 and "not_found" in replayed.output and "Traceback" not in replayed.output


async def test_a_service_that_is_not_running_is_named_not_a_traceback(registry):
    result = await asyncio.to_thread(cli, "dlq", "list", "orders")
    assert result.exit_code == 1 and "unavailable" in result.output and "Traceback" not in result.output


async def test_without_a_session_a_command_says_how_to_sign_in(registry, monkeypatch, tmp_path):
    monkeypatch.setenv("KOKEMUS_CLI_SESSION", str(tmp_path / "nobody.json"))
    result = await asyncio.to_thread(cli, "dlq", "list", "registry")
    assert result.exit_code == 1 and "kokemus login" in result.output and "Traceback" not in result.output


async def test_login_whoami_and_logout_at_the_terminal(registry, monkeypatch, tmp_path):
    monkeypatch.setenv("KOKEMUS_CLI_SESSION", str(tmp_path / "mine.json"))
    signed = await asyncio.to_thread(cli, "login", "--dev", "--staff", "auditor")
    assert signed.exit_code == 0 and "signed in as auditor" in signed.output, signed.output
    assert (tmp_path / "mine.json").stat().st_mode & 0o777 == 0o600
    who = await asyncio.to_thread(cli, "whoami")
    assert who.exit_code == 0 and "acting as auditor" in who.output, who.output
    # An auditor may list dead letters but not replay them (a coordinator's work).
    assert (await asyncio.to_thread(cli, "dlq", "list", "registry")).exit_code == 0
    replay = await asyncio.to_thread(cli, "dlq", "replay", "registry", "1")
    assert replay.exit_code == 1 and "forbidden" in replay.output
    out = await asyncio.to_thread(cli, "logout")
    assert out.exit_code == 0 and not (tmp_path / "mine.json").exists()
    after = await asyncio.to_thread(cli, "whoami")
    assert after.exit_code == 1 and "kokemus login" in after.output


async def test_relay_parked_lists_nothing_and_republishing_an_unknown_event_is_a_clear_error(registry):
    listed = await asyncio.to_thread(cli, "relay", "parked", "registry")
    assert listed.exit_code == 0 and "events parked by the registry relay" in listed.output
    again = await asyncio.to_thread(cli, "relay", "republish", "registry", "00000000-0000-0000-0000-000000000001")
    assert again.exit_code == 1 and "not_found" in again.output

"""The history benchmark (part (d) of the flow benchmark), run tiny against the test servers: every event it
records is read back, rebuilt, verified intact, and every trail asked for is found. Nothing here is timed."""

from __future__ import annotations

import pytest

from bench.history import EVENTS_PER_ENGAGEMENT, history_as_json, measure_history, render_history

pytestmark = pytest.mark.integration


async def test_the_history_is_recorded_read_rebuilt_verified_and_asked_for(servers):
    history = await measure_history(servers.admin_dsn, 20 * EVENTS_PER_ENGAGEMENT, lambda line: None, samples=5)

    events = 20 * EVENTS_PER_ENGAGEMENT
    assert {rate.name: rate.events for rate in history.rates} == {
        "global log as the relay reads it": events, "global log decoded": events,
        "orders projection rebuilt": events, "audit verify": events}
    [trails] = history.latencies
    assert (len(trails.samples), len(trails.reference)) == (5, 5)
    table = render_history(history)
    assert "audit verify" in table and "p99 < 10 ms" in table
    assert history_as_json(history)["rates"][0]["to_raw"] > 0

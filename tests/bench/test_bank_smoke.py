"""The bank benchmark, run tiny against the test servers: the registry's bank and the plain table find the same
experts for every search, so the ratio it prints compares like with like. Nothing here is timed."""

from __future__ import annotations

import pytest

from bench.bank import run

pytestmark = pytest.mark.integration


async def test_the_bank_and_the_plain_table_find_the_same_experts(servers):
    bank, plain = await run(servers.admin_dsn, count=300, theme_count=10, searches=30)
    assert bank.found == plain.found > 0
    assert bank.p50 > 0 and plain.p50 > 0

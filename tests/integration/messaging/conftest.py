"""Fixtures of tests.integration.messaging."""

from __future__ import annotations

import uuid

import nats
import pytest

from kokemus.stack.provision import drop_database, provision
from shared.runtime.service import ServiceRuntime
from tests.conftest import delete_kokemus_streams
from tests.integration.messaging.toy import (
    BETA_SQL,
    alpha_definition,
    settings_for,
)


@pytest.fixture
async def databases(servers):
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    await delete_kokemus_streams(servers.nats_url)
    dsns = await provision(servers.admin_dsn, database, {"alpha": (), "beta": (BETA_SQL,)})
    yield dsns
    await delete_kokemus_streams(servers.nats_url)
    await drop_database(servers.admin_dsn, database)


@pytest.fixture
async def alpha(servers, databases):
    runtime = ServiceRuntime(alpha_definition(), settings_for(servers, databases, "alpha"))
    await runtime.start(serve_http=False)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def client(servers):
    nc = await nats.connect(servers.nats_url)
    yield nc
    await nc.close()

"""The running system every authorization test asks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest

from services import SERVICE_NAMES, definitions
from shared.runtime.service import ServiceRuntime
from tests.integration.authorization.scenario import delivered_engagement, settled


@pytest.fixture
async def system(environment) -> AsyncIterator[dict[str, Any]]:
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name)) for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        ids = await delivered_engagement(nc)
        await settled(nc, ids["engagement_id"], runtimes)
        yield {"nc": nc, **ids, "runtimes": runtimes}
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()

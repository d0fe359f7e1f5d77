"""The running orders service beside the registry, for every test of this folder."""

from collections.abc import AsyncIterator

import pytest

from services.orders import service as orders
from shared.runtime.service import ServiceRuntime
from tests.integration.orders.stack import Stack, beside_the_registry


@pytest.fixture
async def stack(environment) -> AsyncIterator[Stack]:
    async with beside_the_registry(environment) as (nc, db):
        orders_runtime = ServiceRuntime(orders.definition(), environment.settings("orders"))
        await orders_runtime.start(serve_http=False)
        try:
            yield Stack(nc, orders_runtime, db)
        finally:
            await orders_runtime.stop()

"""Memory stays bounded under a stream of maximum-size requests: what a service keeps in memory between
requests (the last hash of recent streams, decoded actors) is capped, and a long run of the largest valid and
invalid requests leaves the process holding no more than a short one did."""

from __future__ import annotations

import gc
import tracemalloc

import nats
import pytest

from services import definitions
from shared.eventstore import rows
from shared.messaging.limits import MAX_REQUEST_BYTES
from shared.messaging.rpc import RemoteError, request
from shared.runtime.service import ServiceRuntime
from tests.callers import token_for

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]

HEAD_CACHE = 50
BATCH = 100
COORDINATOR = {"id": "anna", "role": "coordinator"}


async def largest_requests(nc: nats.NATS, batch: int) -> None:
    """``BATCH`` organizations, each a new stream with every field at its longest, and as many requests of the
    largest size the decoder reads, each refused."""
    token = token_for(COORDINATOR)
    for n in range(BATCH):
        organization_id = f"b{batch}-{n}-".ljust(80, "x")
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"organization_id": organization_id, "name": "N" * 200, "kind": "ngo"}, token=token)
        with pytest.raises(RemoteError) as refused:
            await request(nc, "kokemus.registry.cmd.register_organization",
                          b'{"name": "' + b"x" * (MAX_REQUEST_BYTES - 10) + b'"}', token=token)
        assert refused.value.code == "validation"


def held() -> int:
    gc.collect()
    return sum(stat.size for stat in tracemalloc.take_snapshot().statistics("filename"))


async def test_a_long_run_of_the_largest_requests_leaves_memory_where_a_short_one_did(environment):
    rows._actor.cache_clear()  # the decoded actors are cached per process: start from what this run decodes
    registry = ServiceRuntime(definitions()["registry"], environment.settings("registry", event_head_cache=HEAD_CACHE))
    await registry.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    try:
        await largest_requests(nc, 1)  # fills every cache
        tracemalloc.start()
        try:
            await largest_requests(nc, 2)
            after_two = held()
            await largest_requests(nc, 3)
            await largest_requests(nc, 4)
            after_four = held()
        finally:
            tracemalloc.stop()
    finally:
        await nc.close()
        await registry.stop()
    assert len(registry.store._heads) == HEAD_CACHE
    assert rows._actor.cache_info().currsize <= 10
    # Two more batches (200 streams, 200 refused 64 KiB requests, about 13 MB through the service) add less
    # than 1 MB: what stays is bounded, not proportional to what went through (the head cache is capped above).
    assert after_four - after_two < 1024 * 1024

import json
import uuid

import nats
import pytest

from services.registry.bootstrap import definition
from shared.messaging.rpc import RemoteError, request
from shared.runtime.service import ServiceRuntime
from tests.conftest import eventually

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]
COORD = {"id": "c1", "role": "coordinator"}


async def test_smoke(environment):
    runtime = ServiceRuntime(definition(), environment.settings("registry"))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    try:
        r = await request(nc, "kokemus.registry.cmd.register_organization",
                          {"actor": COORD, "organization_id": "county", "name": "Varha", "kind": "county"})
        assert r == {"organization_id": "county"}
        with pytest.raises(RemoteError) as e:
            await request(nc, "kokemus.registry.cmd.register_organization",
                          {"actor": COORD, "organization_id": "county", "name": "", "kind": "x"})
        print(e.value.code, e.value.message, e.value.fields)
        js = nc.jetstream()
        async def published():
            info = await js.stream_info("KOKEMUS_REGISTRY")
            return info.state.messages
        assert await eventually(published) == 1
    finally:
        await nc.close()
        await runtime.stop()

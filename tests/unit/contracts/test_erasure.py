"""The registry's erasures reach the contracts service: what it sealed with the erased person's key reads as erased
here too, and an erased expert's income limit is cleared with its own key."""

from __future__ import annotations

from services.contracts import handlers as h, messages as m
from services.registry import events as registry
from shared.events import events_in
from shared.eventstore.memory import InMemoryEventStore
from tests.unit.calls import call, hand_over
from tests.unit.contracts.scenario import COORDINATOR, EXPERT, contract
from tests.unit.contracts.test_expenses import CAR, claim, signed_engagement


async def erased(deps, payload) -> None:
    store = InMemoryEventStore("registry", events_in(registry))
    await hand_over(h.CONSUMES, deps, store, payload, "erasures")


async def test_an_erased_experts_routes_and_income_limit_are_gone_and_the_history_verifies(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    await call(h.claim_expenses, claim(engagement_id, CAR), EXPERT, deps)
    await call(h.set_income_limit, m.SetIncomeLimit(expert_id="maija", annual_limit="1200.00"), EXPERT, deps)

    await erased(deps, registry.ExpertErased(expert_id="maija", ground="consent_withdrawn"))

    shown = await contract(deps, engagement_id, actor=COORDINATOR)
    assert shown["expenses"]["lines"][0]["route"] is None
    summary = await call(h.income_summary, m.IncomeSummary(expert_id="maija"), COORDINATOR, deps)
    assert summary["annual_limit"] is None
    [limit_set] = [e for e in await deps.uow.store.read_stream("income-limit-maija")
                   if e.event_type == "IncomeLimitSet"]
    assert limit_set.payload.annual_limit is None  # its own key shredded with the limit
    assert (await deps.uow.store.verify()).intact


async def test_an_erased_orderers_topic_and_place_are_gone_from_the_contract(deps, orders_store, clock):
    engagement_id = await signed_engagement(deps, orders_store, clock)
    [drafted] = [e for e in await deps.uow.store.read_all() if e.event_type == "ContractDrafted"]
    assert drafted.payload.topic == "recovery"
    await erased(deps, registry.OrdererErased(orderer_id="school-1", ground="objection"))
    [drafted] = [e for e in await deps.uow.store.read_all() if e.event_type == "ContractDrafted"]
    assert drafted.payload.topic is None and "topic" in drafted.erased_fields
    assert (await contract(deps, engagement_id, actor=COORDINATOR))["contract_id"]  # the contract itself stands

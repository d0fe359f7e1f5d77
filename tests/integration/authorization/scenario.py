"""The authorization tests' scenario: a running system with real data (a delivered engagement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import nats

from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.integration.authorization.matrix import (
    AUDITOR,
    CONTACT,
    COORDINATOR,
    MAIJA,
    OTHER_CONTACT,
    OTHER_SCHOOL,
    PEKKA,
    SCHOOL,
    TODAY,
)


async def ask(nc: nats.NATS, subject: str, body: dict[str, Any]) -> Any:
    return await request(nc, f"kokemus.{subject}", body)


async def until_ok(nc: nats.NATS, subject: str, body: dict[str, Any]) -> Any:
    """Retried while another service has not yet heard of what this one needs."""
    async def attempt() -> Any:
        try:
            return await ask(nc, subject, body)
        except RemoteError as error:
            if error.code in ("forbidden", "not_found", "validation", "conflict"):
                return None
            raise
    return await eventually(attempt, timeout=30)


async def delivered_engagement(nc: nats.NATS) -> dict[str, Any]:
    """Two NGOs with a contact person and an expert each, a listed expert with an engagement delivered."""
    await ask(nc, "registry.cmd.register_organization",
              {"actor": COORDINATOR, "organization_id": "varha", "name": "Varha", "kind": "county"})
    for org, contact, expert in (("mieli", CONTACT, MAIJA), ("other", OTHER_CONTACT, PEKKA)):
        await ask(nc, "registry.cmd.register_organization",
                  {"actor": COORDINATOR, "organization_id": org, "name": org.title(), "kind": "ngo"})
        await ask(nc, "registry.cmd.appoint_contact_person", {"actor": COORDINATOR, "organization_id": org,
                  "person_id": contact["id"], "name": contact["id"].title(), "email": f"{contact['id']}@{org}.fi"})
        await ask(nc, "registry.cmd.register_expert", {"actor": contact, "expert_id": expert["id"],
                  "organization_id": org, "name": expert["id"].title(), "email": f"{expert['id']}@example.org"})
        await ask(nc, "registry.cmd.record_training", {"actor": contact, "expert_id": expert["id"],
                  "completed_on": str(TODAY), "trained_by": org})
        await ask(nc, "registry.cmd.give_consent", {"actor": expert, "expert_id": expert["id"]})
        await ask(nc, "registry.cmd.list_expert", {"actor": contact, "expert_id": expert["id"], "topics": ["recovery"]})
    # A theme, a programme with a cohort Maija takes part in, for the requests about them.
    await ask(nc, "registry.cmd.define_theme", {"actor": COORDINATOR, "theme_id": "grief", "name_fi": "Suru",
                                                "name_sv": "Sorg", "name_en": "Grief"})
    await ask(nc, "registry.cmd.define_programme", {"actor": CONTACT, "programme_id": "basic", "name": "Basic",
                                                    "kind": "basic", "organization_id": "mieli",
                                                    "modules": [{"module_id": "m1", "name": "Module 1"}]})
    await ask(nc, "registry.cmd.open_cohort", {"actor": CONTACT, "cohort_id": "cohort", "programme_id": "basic",
                                               "organization_id": "mieli", "starts_on": str(TODAY),
                                               "ends_on": str(TODAY)})
    await ask(nc, "registry.cmd.enroll_participant", {"actor": CONTACT, "cohort_id": "cohort", "expert_id": "maija"})
    for school in (SCHOOL, OTHER_SCHOOL):
        await ask(nc, "registry.cmd.grant_credentials",
                  {"actor": COORDINATOR, "orderer_id": school["id"], "orderer_name": school["id"].title()})
    order = {"task_type": "lecture", "topic": "Recovery", "date": str(TODAY + dt.timedelta(days=20)),
             "duration_hours": "2", "place": "Turku", "fee": {"mode": "recommended"}}
    order_id = (await until_ok(nc, "orders.cmd.place_order", {"actor": SCHOOL, **order}))["order_id"]
    other_order_id = (await until_ok(nc, "orders.cmd.place_order", {"actor": OTHER_SCHOOL, **order}))["order_id"]
    offer = await until_ok(nc, "orders.cmd.make_offer", {"actor": SCHOOL, "order_id": order_id, "expert_id": "maija"})
    other_offer = await until_ok(nc, "orders.cmd.make_offer",
                                 {"actor": OTHER_SCHOOL, "order_id": other_order_id, "expert_id": "pekka"})
    engagement_id = (await ask(nc, "orders.cmd.accept_offer", {"actor": MAIJA, "order_id": order_id,
                                                                 "offer_id": offer["offer_id"]}))["engagement_id"]
    other_engagement_id = (await ask(nc, "orders.cmd.accept_offer", {
        "actor": PEKKA, "order_id": other_order_id, "offer_id": other_offer["offer_id"]}))["engagement_id"]
    for actor, party in ((MAIJA, "expert"), (SCHOOL, "orderer")):
        await until_ok(nc, "contracts.cmd.sign_contract",
                       {"actor": actor, "engagement_id": engagement_id, "party": party})
    await until_ok(nc, "orders.cmd.confirm_delivery",
                   {"actor": SCHOOL, "engagement_id": engagement_id, "actual_hours": "2"})
    return {"order_id": order_id, "offer_id": offer["offer_id"], "engagement_id": engagement_id,
            "other_engagement_id": other_engagement_id, "other_order_id": other_order_id,
            "other_offer_id": other_offer["offer_id"]}


async def settled(nc: nats.NATS, engagement_id: str, runtimes: list[ServiceRuntime]) -> None:
    """Wait until the delivery has had every effect: the fee approved, both forms requested, and the audit
    holding a copy of every event of every source."""
    await until_ok(nc, "feedback.query.get_feedback", {"actor": COORDINATOR, "engagement_id": engagement_id})

    async def quiet() -> bool:
        status = await ask(nc, "orders.query.get_engagement", {"actor": SCHOOL, "engagement_id": engagement_id})
        copied = (await ask(nc, "audit.query.count", {"actor": AUDITOR}))["source_events"]
        recorded = {r.name: await r.store.count() for r in runtimes if r.name in ("registry", "orders", "contracts",
                                                                                   "feedback")}
        return bool(status["fee_approved"]) and copied == recorded

    await eventually(quiet, timeout=30)

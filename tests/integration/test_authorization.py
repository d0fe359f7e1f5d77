"""The authorization matrix: every command and query of every service, asked by every role, on a running
system with real data (a delivered engagement), over NATS with signed identities.

``ALLOWED`` is the README's table of who may do what, as data. Every role outside a request's allowed set gets
``forbidden`` and nothing is recorded; a request with no entry fails the test, so a new command cannot slip in
without saying who may send it. Then a person acting on another's data: an expert on another expert, an
orderer on another orderer's engagement, a contact person on another organization's expert.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest

from services import SERVICE_NAMES, definitions
from shared.events import Role
from shared.messaging.rpc import RemoteError
from shared.runtime import admin
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.unit.feedback.questionnaires import VERSION_2 as QUESTIONNAIRE_V2

pytestmark = pytest.mark.integration

# Short names, so each row of the matrix reads at a glance.
C, K, E, ORD, A, INT, S = (Role.coordinator, Role.organization_contact, Role.expert, Role.orderer, Role.auditor,
                           Role.integration, Role.system)
EVERYONE = {C, K, E, ORD, A, INT, S}
STAFF = {C, A, S}  # the admin requests: coordinators, auditors and the services themselves

COORDINATOR = {"id": "anna", "role": "coordinator"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
OTHER_CONTACT = {"id": "ulla", "role": "organization_contact", "organization_id": "other"}
MAIJA = {"id": "maija", "role": "expert"}
PEKKA = {"id": "pekka", "role": "expert"}
SCHOOL = {"id": "school", "role": "orderer"}
OTHER_SCHOOL = {"id": "school-2", "role": "orderer"}
AUDITOR = {"id": "aino", "role": "auditor"}
INTEGRATION = {"id": "payroll", "role": "integration"}
SYSTEM = {"id": "identity", "role": "system"}
BY_ROLE = {C: COORDINATOR, K: CONTACT, E: MAIJA, ORD: SCHOOL, A: AUDITOR, INT: INTEGRATION, S: SYSTEM}
TODAY = dt.date.today()

ALLOWED: dict[tuple[str, str], set[Role]] = {
    ("registry", "register_organization"): {C},
    ("registry", "appoint_contact_person"): {C, K},
    ("registry", "remove_contact_person"): {C, K},
    ("registry", "sign_organization_agreement"): {C},
    ("registry", "end_organization_agreement"): {C},
    ("registry", "register_expert"): {C, K},
    ("registry", "join_organization"): {C, K},
    ("registry", "record_training"): {C, K},
    ("registry", "give_consent"): {E},
    ("registry", "withdraw_consent"): {E},
    ("registry", "list_expert"): {C, K},
    ("registry", "unlist_expert"): {C, K, E},
    ("registry", "deactivate_expert"): {C, K},
    ("registry", "erase_expert"): {C, E},
    ("registry", "grant_credentials"): {C},
    ("registry", "revoke_credentials"): {C},
    ("registry", "erase_orderer"): {C, ORD},
    ("registry", "search_bank"): {C, K, ORD},
    ("registry", "get_expert"): {C, K, E, ORD},
    ("registry", "get_organization"): EVERYONE,
    ("registry", "list_organizations"): EVERYONE,
    ("registry", "list_orderers"): {C},
    ("registry", "list_experts"): {C, K},
    ("registry", "whois"): {S},
    ("registry", "answer_membership"): {E},
    ("registry", "leave_organization"): {E},
    ("registry", "change_profile"): {E},
    ("registry", "submit_profile"): {C, K, E},
    ("registry", "approve_profile"): {C, K},
    ("registry", "return_profile"): {C, K},
    ("registry", "set_availability"): {E},
    ("registry", "define_theme"): {C},
    ("registry", "retire_theme"): {C},
    ("registry", "define_programme"): {C, K},
    ("registry", "open_cohort"): {C, K},
    ("registry", "enroll_participant"): {C, K},
    ("registry", "record_module_completion"): {C, K},
    ("registry", "find_experts"): {C, K, ORD},
    ("registry", "profiles_to_review"): {C, K},
    ("registry", "consent_history"): {C, K, E},
    ("registry", "who_viewed"): {C, E},
    ("registry", "access_log"): {C},
    ("registry", "situation"): {C, K},
    ("registry", "list_themes"): EVERYONE,
    ("registry", "list_programmes"): EVERYONE,
    ("registry", "get_cohort"): {C, K},
    ("registry", "list_cohorts"): {C, K},
    ("orders", "place_order"): {ORD},
    ("orders", "change_order"): {ORD},
    ("orders", "cancel_order"): {ORD},
    ("orders", "make_offer"): {C, ORD},
    ("orders", "rank_candidates"): {C, ORD},
    ("orders", "accept_offer"): {E},
    ("orders", "decline_offer"): {E},
    ("orders", "confirm_delivery"): {ORD},
    ("orders", "cancel_engagement"): {ORD, E},
    ("orders", "close_engagement"): {C, ORD},
    ("orders", "get_order"): {C, A, ORD, E},
    ("orders", "get_engagement"): {C, A, ORD, E},
    ("orders", "list_engagements"): {C, A, ORD, E},
    ("orders", "list_offers"): {E},
    ("orders", "list_orders"): {ORD},
    ("orders", "take_order"): {C},
    ("orders", "route_order"): {C},
    ("orders", "propose_experts"): {K},  # of an order addressed to their organization
    ("orders", "decline_order"): {K},
    ("orders", "list_incoming_orders"): {K},
    ("orders", "list_orders_to_route"): {C},
    ("orders", "list_engagements_needing_attention"): {C},
    ("contracts", "publish_rate_table"): {C},
    ("contracts", "sign_contract"): {E, ORD},
    ("contracts", "record_payment"): {C},
    ("contracts", "rate_tables"): EVERYONE,
    ("contracts", "rate_in_force"): EVERYONE,
    ("contracts", "get_contract"): {C, E, ORD},
    ("contracts", "list_contracts"): {C, E, ORD},
    ("contracts", "publish_expense_rates"): {C},
    ("contracts", "claim_expenses"): {E},
    ("contracts", "approve_expense_line"): {C, ORD},
    ("contracts", "return_expense_line"): {C, ORD},
    ("contracts", "expense_rates"): EVERYONE,
    ("contracts", "contract_document"): {C, E, ORD},
    ("contracts", "payment_batch"): {C, INT},
    ("contracts", "record_payment_batch"): {C, INT},
    ("contracts", "amend_contract"): {C},
    ("contracts", "contract_pdf"): {C, E, ORD},
    ("contracts", "set_income_limit"): {C, E},
    ("contracts", "clear_income_limit"): {C, E},
    ("contracts", "income_summary"): {C, E},
    ("feedback", "submit_feedback"): {E},  # the self-assessment; the orderer's form is its orderer's alone
    ("feedback", "get_feedback"): {C, E, ORD},
    ("feedback", "follow_up_report"): {C},
    ("feedback", "feedback_questions"): EVERYONE,
    ("feedback", "define_questionnaire"): {C},
    ("feedback", "wellbeing_follow_ups"): {K},  # its own organization's alone (tests/unit/feedback/test_wellbeing.py)
    ("feedback", "handle_wellbeing_follow_up"): {K},  # likewise
    ("audit", "history"): {A, C},
    ("audit", "verify_trail"): {A, C},
    ("audit", "copy_heads"): {A, C},
    ("audit", "count"): {A, C},
    ("audit", "latest_checkpoint"): {A, C},
    ("audit", "sign_checkpoint"): {A, C},
    ("audit", "checkpoint_heads"): {A, C},
    ("identity", "sign_in"): EVERYONE,  # answered for anyone: the ID token is the proof
    ("identity", "development_sign_in"): EVERYONE,
    ("identity", "system_sign_in"): EVERYONE,  # the system's secret is the proof
    ("identity", "sign_out"): EVERYONE,
    ("identity", "token"): EVERYONE,
    ("identity", "published_keys"): EVERYONE,
    **{(service, name): ({C, S} if name in admin.COMMANDS else STAFF)
       for service in SERVICE_NAMES for name in [*admin.COMMANDS, *admin.QUERIES]},
}


@pytest.fixture
async def system(environment) -> AsyncIterator[dict[str, Any]]:
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name)) for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        ids = await delivered_engagement(nc)
        await settled(nc, ids["engagement_id"], runtimes)
        yield {"nc": nc, **ids, "runtimes": runtimes}
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


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


def bodies(ids: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body for every request, naming real records, so that only who asks can be refused."""
    engagement = {"engagement_id": ids["engagement_id"]}
    order = {"order_id": ids["order_id"]}
    ratings = {"preparation": 4, "own_wellbeing": 4, "experience_heard": 5, "would_do_again": 5}
    return {
        ("registry", "register_organization"): {"organization_id": "new-org", "name": "New", "kind": "ngo"},
        ("registry", "appoint_contact_person"): {"organization_id": "mieli", "person_id": "new-contact",
                                                 "name": "New", "email": "new@mieli.fi"},
        ("registry", "remove_contact_person"): {"organization_id": "mieli", "person_id": "olli", "reason": "x"},
        ("registry", "sign_organization_agreement"): {"organization_id": "mieli", "agreement_id": "a-new",
                                                      "valid_from": str(TODAY)},
        ("registry", "end_organization_agreement"): {"organization_id": "mieli", "agreement_id": "a-new",
                                                     "ended_on": str(TODAY)},
        ("registry", "register_expert"): {"expert_id": "new-expert", "organization_id": "mieli", "name": "New",
                                          "email": "new@example.org"},
        ("registry", "join_organization"): {"expert_id": "maija", "organization_id": "varha"},
        ("registry", "record_training"): {"expert_id": "maija", "completed_on": str(TODAY), "trained_by": "mieli"},
        ("registry", "give_consent"): {"expert_id": "maija"},
        ("registry", "withdraw_consent"): {"expert_id": "maija"},
        ("registry", "list_expert"): {"expert_id": "maija", "topics": ["x"]},
        ("registry", "unlist_expert"): {"expert_id": "maija", "reason": "x"},
        ("registry", "deactivate_expert"): {"expert_id": "maija", "reason": "x"},
        ("registry", "erase_expert"): {"expert_id": "maija"},
        ("registry", "grant_credentials"): {"orderer_id": "new-orderer", "orderer_name": "New"},
        ("registry", "revoke_credentials"): {"orderer_id": "school", "reason": "x"},
        ("registry", "erase_orderer"): {"orderer_id": "school", "ground": "objection"},
        ("registry", "search_bank"): {},
        ("registry", "get_expert"): {"expert_id": "maija"},
        ("registry", "get_organization"): {"organization_id": "mieli"},
        ("registry", "list_organizations"): {},
        ("registry", "list_orderers"): {},
        ("registry", "list_experts"): {"organization_id": "mieli"},
        ("registry", "whois"): {"email": "maija@example.org"},
        ("registry", "answer_membership"): {"expert_id": "maija", "organization_id": "varha", "accept": False},
        ("registry", "leave_organization"): {"expert_id": "maija", "organization_id": "mieli"},
        ("registry", "change_profile"): {"expert_id": "maija", "themes": [{"theme": "grief", "relation": "own"}]},
        ("registry", "submit_profile"): {"expert_id": "maija"},
        ("registry", "approve_profile"): {"expert_id": "maija"},
        ("registry", "return_profile"): {"expert_id": "maija", "reason": "x"},
        ("registry", "set_availability"): {"expert_id": "maija", "weekdays": [1, 2, 3],
                                           "blackouts": [{"starts_on": str(TODAY), "ends_on": str(TODAY)}]},
        ("registry", "define_theme"): {"theme_id": "new-theme", "name_fi": "Uusi", "name_sv": "Ny", "name_en": "New"},
        ("registry", "retire_theme"): {"theme_id": "grief"},
        ("registry", "define_programme"): {"programme_id": "new-programme", "name": "New", "kind": "basic",
                                           "organization_id": "mieli",
                                           "modules": [{"module_id": "m1", "name": "Module 1"}]},
        ("registry", "open_cohort"): {"cohort_id": "new-cohort", "programme_id": "basic", "organization_id": "mieli",
                                      "starts_on": str(TODAY), "ends_on": str(TODAY)},
        ("registry", "enroll_participant"): {"cohort_id": "cohort", "expert_id": "pekka"},
        ("registry", "record_module_completion"): {"cohort_id": "cohort", "expert_id": "maija", "module_id": "m1",
                                                   "completed_on": str(TODAY)},
        ("registry", "find_experts"): {"themes": ["grief"], "language": "fi"},
        ("registry", "profiles_to_review"): {},
        ("registry", "consent_history"): {"expert_id": "maija"},
        ("registry", "who_viewed"): {"expert_id": "maija"},
        ("registry", "access_log"): {},
        ("registry", "situation"): {},
        ("registry", "list_themes"): {},
        ("registry", "list_programmes"): {},
        ("registry", "get_cohort"): {"cohort_id": "cohort"},
        ("registry", "list_cohorts"): {},
        ("orders", "place_order"): {"task_type": "lecture", "topic": "x", "date": str(TODAY + dt.timedelta(days=9)),
                                    "duration_hours": "1", "remote": True, "fee": {"mode": "recommended"}},
        ("orders", "change_order"): {**order, "topic": "changed"},
        ("orders", "cancel_order"): {**order, "reason": "x"},
        ("orders", "make_offer"): {**order, "expert_id": "pekka"},
        ("orders", "rank_candidates"): {**order, "candidates": ["pekka"]},
        ("orders", "accept_offer"): {**order, "offer_id": ids["offer_id"]},
        ("orders", "decline_offer"): {**order, "offer_id": ids["offer_id"], "reason": "x"},
        ("orders", "confirm_delivery"): {**engagement, "actual_hours": "1"},
        ("orders", "cancel_engagement"): {**engagement, "reason": "x"},
        ("orders", "close_engagement"): engagement,
        ("orders", "get_order"): order,
        ("orders", "get_engagement"): engagement,
        ("orders", "list_engagements"): {},
        ("orders", "list_offers"): {},
        ("orders", "list_orders"): {},
        ("orders", "take_order"): {"task_type": "lecture", "topic": "x", "date": str(TODAY + dt.timedelta(days=9)),
                                   "duration_hours": "1", "remote": True, "fee": {"mode": "recommended"},
                                   "orderer_id": "school", "taken_via": "phone"},
        ("orders", "route_order"): {**order, "organization_id": "mieli"},
        ("orders", "propose_experts"): {**order, "candidates": ["pekka"]},
        ("orders", "decline_order"): {**order, "reason": "x"},
        ("orders", "list_incoming_orders"): {},
        ("orders", "list_orders_to_route"): {},
        ("orders", "list_engagements_needing_attention"): {},
        ("contracts", "publish_rate_table"): {"rate_table_id": "t-new", "effective_from": "2030-01-01",
                                              "hourly_fee": "40", "minimum_fee": "60", "mileage_per_km": "0.55"},
        ("contracts", "sign_contract"): {**engagement, "party": "expert"},
        ("contracts", "record_payment"): engagement,
        ("contracts", "rate_tables"): {},
        ("contracts", "rate_in_force"): {},
        ("contracts", "get_contract"): engagement,
        ("contracts", "list_contracts"): {},
        ("contracts", "publish_expense_rates"): {"rates_id": "r-new", "effective_from": "2030-01-01",
                                                 "car_per_km": "0.55", "per_diem_partial": "25",
                                                 "per_diem_full": "54", "meal_allowance": "13.50"},
        ("contracts", "claim_expenses"): {**engagement, "lines": [{"kind": "parking", "amount": "4.50"}]},
        ("contracts", "approve_expense_line"): {**engagement, "line_no": 1},
        ("contracts", "return_expense_line"): {**engagement, "line_no": 1, "reason": "x"},
        ("contracts", "expense_rates"): {},
        ("contracts", "contract_document"): {**engagement, "language": "sv"},
        ("contracts", "payment_batch"): {},
        ("contracts", "record_payment_batch"): {"batch_id": "batch-0123456789abcdef", "paid_on": str(TODAY)},
        ("contracts", "amend_contract"): {**engagement, "duration_hours": "3"},
        ("contracts", "contract_pdf"): {**engagement, "language": "fi"},
        ("contracts", "set_income_limit"): {"expert_id": "maija", "annual_limit": "9000"},
        ("contracts", "clear_income_limit"): {"expert_id": "maija"},
        ("contracts", "income_summary"): {"expert_id": "maija"},
        ("feedback", "submit_feedback"): {**engagement, "form": "self_assessment", "ratings": ratings},
        ("feedback", "get_feedback"): engagement,
        ("feedback", "follow_up_report"): {"from": str(TODAY), "until": str(TODAY)},
        ("feedback", "feedback_questions"): {},
        ("feedback", "define_questionnaire"): {"form": "orderer_feedback", "questions": QUESTIONNAIRE_V2},
        ("feedback", "wellbeing_follow_ups"): {},
        ("feedback", "handle_wellbeing_follow_up"): {"follow_up_id": "00000000-0000-4000-8000-000000000001"},
        ("audit", "history"): engagement,
        ("audit", "verify_trail"): {},
        ("audit", "copy_heads"): {"service": "orders"},
        ("audit", "count"): {},
        ("audit", "latest_checkpoint"): {},
        ("audit", "sign_checkpoint"): {},
        ("identity", "sign_in"): {"provider": "staff", "id_token": "not-a-token-" * 4},
        ("identity", "development_sign_in"): {"email": "maija@example.org"},
        ("identity", "system_sign_in"): {"system": "payroll", "secret": "s" * 30},
        ("identity", "sign_out"): {"session": "s" * 30},
        ("identity", "token"): {"session": "s" * 30},
        ("identity", "published_keys"): {},
        ("audit", "checkpoint_heads"): {"checkpoint_id": str(uuid.uuid4()), "service": "orders"},
        **{(service, name): ({"dead_letter_id": 1} if name == "replay_dead_letter" else
                             {"event_id": str(uuid.uuid4())} if name == "republish_parked_event" else
                             {"heads": {}} if name == "check_heads" else {})
           for service in SERVICE_NAMES for name in [*admin.COMMANDS, *admin.QUERIES]},
    }


def every_request() -> list[tuple[str, str, str]]:
    found = []
    for service, definition in definitions().items():
        for kind, table in (("cmd", definition.commands), ("query", definition.queries),
                            ("cmd", admin.COMMANDS), ("query", admin.QUERIES)):
            found += [(service, kind, name) for name in table]
    return found


def test_the_matrix_names_every_request_of_every_service():
    missing = {(service, name) for service, _, name in every_request()} - set(ALLOWED)
    assert not missing, f"say who may send these in ALLOWED: {sorted(missing)}"


async def test_every_role_outside_a_requests_allowed_set_is_forbidden_and_records_nothing(system):
    nc, ids = system["nc"], system
    counts_before = {r.name: await r.store.count() for r in system["runtimes"]}
    body_of = bodies(ids)
    checked = 0
    for service, kind, name in every_request():
        for role in EVERYONE - ALLOWED[(service, name)]:
            with pytest.raises(RemoteError) as refused:
                await request(nc, f"kokemus.{service}.{kind}.{name}",
                              {"actor": BY_ROLE[role], **body_of[(service, name)]})
            assert refused.value.code == "forbidden", (service, name, role, refused.value)
            checked += 1
    assert checked > 250
    assert {r.name: await r.store.count() for r in system["runtimes"]} == counts_before


ANOTHERS = [
    # an expert on another expert
    (PEKKA, "registry.cmd.give_consent", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.erase_expert", {"expert_id": "maija"}),
    (OTHER_SCHOOL, "registry.cmd.erase_orderer", {"orderer_id": "school", "ground": "objection"}),
    (PEKKA, "registry.query.get_expert", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.change_profile", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.submit_profile", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.set_availability", {"expert_id": "maija", "weekdays": [1]}),
    (PEKKA, "registry.cmd.withdraw_consent", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.leave_organization", {"expert_id": "maija", "organization_id": "mieli"}),
    (PEKKA, "registry.cmd.answer_membership", {"expert_id": "maija", "organization_id": "varha", "accept": True}),
    (PEKKA, "registry.query.consent_history", {"expert_id": "maija"}),
    (PEKKA, "registry.query.who_viewed", {"expert_id": "maija"}),
    (PEKKA, "orders.cmd.accept_offer", {"order_id": "{order_id}", "offer_id": "{offer_id}"}),
    (PEKKA, "orders.query.get_engagement", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.cmd.sign_contract", {"engagement_id": "{engagement_id}", "party": "expert"}),
    (PEKKA, "contracts.query.get_contract", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.query.contract_document", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.query.contract_pdf", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.cmd.set_income_limit", {"expert_id": "maija", "annual_limit": "9000"}),
    (PEKKA, "contracts.cmd.clear_income_limit", {"expert_id": "maija"}),
    (PEKKA, "contracts.query.income_summary", {"expert_id": "maija"}),
    (PEKKA, "contracts.cmd.claim_expenses", {"engagement_id": "{engagement_id}",
                                             "lines": [{"kind": "parking", "amount": "4.50"}]}),
    (PEKKA, "feedback.cmd.submit_feedback", {"engagement_id": "{engagement_id}", "form": "self_assessment",
                                             "ratings": {"preparation": 1, "own_wellbeing": 1, "experience_heard": 1,
                                                         "would_do_again": 1}}),
    # an orderer on another orderer's engagement
    (OTHER_SCHOOL, "orders.query.get_engagement", {"engagement_id": "{engagement_id}"}),
    (OTHER_SCHOOL, "orders.query.get_order", {"order_id": "{order_id}"}),
    (OTHER_SCHOOL, "orders.cmd.change_order", {"order_id": "{order_id}", "topic": "mine now"}),
    (OTHER_SCHOOL, "orders.cmd.cancel_engagement", {"engagement_id": "{engagement_id}", "reason": "x"}),
    (OTHER_SCHOOL, "orders.cmd.close_engagement", {"engagement_id": "{engagement_id}"}),
    (OTHER_SCHOOL, "orders.cmd.make_offer", {"order_id": "{order_id}", "expert_id": "pekka"}),
    # a contact person on an order not addressed to their organization
    (CONTACT, "orders.cmd.propose_experts", {"order_id": "{order_id}", "candidates": ["pekka"]}),
    (CONTACT, "orders.cmd.decline_order", {"order_id": "{order_id}", "reason": "x"}),
    (CONTACT, "orders.query.get_order", {"order_id": "{order_id}"}),
    (OTHER_SCHOOL, "contracts.query.get_contract", {"engagement_id": "{engagement_id}"}),
    (OTHER_SCHOOL, "contracts.query.contract_document", {"engagement_id": "{engagement_id}"}),
    (OTHER_SCHOOL, "contracts.query.contract_pdf", {"engagement_id": "{engagement_id}"}),
    (OTHER_SCHOOL, "contracts.cmd.sign_contract", {"engagement_id": "{engagement_id}", "party": "orderer"}),
    (OTHER_SCHOOL, "contracts.cmd.approve_expense_line", {"engagement_id": "{engagement_id}", "line_no": 1}),
    (OTHER_SCHOOL, "contracts.cmd.return_expense_line", {"engagement_id": "{engagement_id}", "line_no": 1,
                                                         "reason": "x"}),
    (OTHER_SCHOOL, "feedback.query.get_feedback", {"engagement_id": "{engagement_id}"}),
    # a contact person on another organization's expert
    (OTHER_CONTACT, "registry.query.get_expert", {"expert_id": "maija"}),
    (OTHER_CONTACT, "registry.query.list_experts", {"organization_id": "mieli"}),
    (OTHER_CONTACT, "registry.cmd.list_expert", {"expert_id": "maija", "topics": ["x"]}),
    (OTHER_CONTACT, "registry.cmd.unlist_expert", {"expert_id": "maija", "reason": "x"}),
    (OTHER_CONTACT, "registry.cmd.deactivate_expert", {"expert_id": "maija", "reason": "x"}),
    (OTHER_CONTACT, "registry.cmd.register_expert", {"expert_id": "x", "organization_id": "mieli", "name": "X",
                                                     "email": "x@example.org"}),
    (OTHER_CONTACT, "registry.cmd.record_training", {"expert_id": "maija", "completed_on": str(TODAY),
                                                     "trained_by": "mieli"}),
    (OTHER_CONTACT, "registry.cmd.approve_profile", {"expert_id": "maija"}),
    (OTHER_CONTACT, "registry.cmd.return_profile", {"expert_id": "maija", "reason": "x"}),
    (OTHER_CONTACT, "registry.cmd.submit_profile", {"expert_id": "maija"}),
    (OTHER_CONTACT, "registry.cmd.join_organization", {"expert_id": "maija", "organization_id": "mieli"}),
    (OTHER_CONTACT, "registry.cmd.enroll_participant", {"cohort_id": "cohort", "expert_id": "pekka"}),
    (OTHER_CONTACT, "registry.cmd.record_module_completion", {"cohort_id": "cohort", "expert_id": "maija",
                                                              "module_id": "m1", "completed_on": str(TODAY)}),
    (OTHER_CONTACT, "registry.cmd.define_programme", {"programme_id": "x", "name": "X", "kind": "basic",
                                                      "organization_id": "mieli",
                                                      "modules": [{"module_id": "m1", "name": "M"}]}),
    (OTHER_CONTACT, "registry.query.get_cohort", {"cohort_id": "cohort"}),
    (OTHER_CONTACT, "registry.query.list_cohorts", {"organization_id": "mieli"}),
    (OTHER_CONTACT, "registry.query.situation", {"organization_id": "mieli"}),
    (OTHER_CONTACT, "registry.query.profiles_to_review", {"organization_id": "mieli"}),
    (OTHER_CONTACT, "registry.query.consent_history", {"expert_id": "maija"}),
    (OTHER_CONTACT, "registry.cmd.appoint_contact_person", {"organization_id": "mieli", "person_id": "ulla",
                                                            "name": "Ulla", "email": "ulla@other.fi"}),
]


async def test_a_person_acting_on_anothers_data_is_forbidden(system):
    answers = {}
    for actor, subject, body in ANOTHERS:
        named = {key: value.format(**system) if isinstance(value, str) else value for key, value in body.items()}
        try:
            await request(system["nc"], f"kokemus.{subject}", {"actor": actor, **named})
            answers[(actor["id"], subject)] = "ok"
        except RemoteError as error:
            answers[(actor["id"], subject)] = error.code
    assert answers == {(actor["id"], subject): "forbidden" for actor, subject, _ in ANOTHERS}

"""The authorization matrix as data: ``ALLOWED`` is the README's table of who may do what, each request's
body on the scenario's data, and every request of every service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services import SERVICE_NAMES, definitions
from shared.events import Role
from shared.runtime import admin
from tests.unit.feedback.questionnaires import VERSION_2 as QUESTIONNAIRE_V2

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
    ("registry", "erase_contact_person"): {C, K},
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
    ("contracts", "attach_receipt"): {E},
    ("contracts", "receipt"): {C, E, ORD},
    ("contracts", "decline_fee"): {E},
    ("contracts", "income_check"): {C, E},
    ("feedback", "submit_feedback"): {E},  # the self-assessment; the orderer's form is its orderer's alone
    ("feedback", "get_feedback"): {C, E, ORD},
    ("feedback", "follow_up_report"): {C},
    ("feedback", "feedback_questions"): EVERYONE,
    ("feedback", "define_questionnaire"): {C},
    ("feedback", "wellbeing_follow_ups"): {K},  # its own organization's alone (tests/unit/feedback/test_wellbeing.py)
    ("feedback", "handle_wellbeing_follow_up"): {K},  # likewise
    # Everyone in an engagement keeps their own contact details; a coordinator may keep anyone's.
    ("notifications", "set_contact"): {C, K, E, ORD},
    ("notifications", "mute_kinds"): {C, K, E, ORD},
    ("notifications", "forget_contact"): {C, K, E, ORD},
    ("notifications", "get_contact"): {C, K, E, ORD},
    ("notifications", "undelivered_notifications"): {C, K, E, ORD},
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
        ("registry", "erase_contact_person"): {"person_id": "olli", "ground": "objection"},
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
        ("contracts", "attach_receipt"): {**engagement, "line_no": 1, "data": "JVBERi0xLjQK"},
        ("contracts", "decline_fee"): engagement,
        ("contracts", "income_check"): {"expert_id": "maija", "on": str(TODAY), "duration_hours": "2",
                                        "fixed_fee": "100"},
        ("contracts", "receipt"): {**engagement, "receipt_id": "00000000-0000-4000-8000-000000000001"},
        ("feedback", "submit_feedback"): {**engagement, "form": "self_assessment", "ratings": ratings},
        ("feedback", "get_feedback"): engagement,
        ("feedback", "follow_up_report"): {"from": str(TODAY), "until": str(TODAY)},
        ("feedback", "feedback_questions"): {},
        ("feedback", "define_questionnaire"): {"form": "orderer_feedback", "questions": QUESTIONNAIRE_V2},
        ("feedback", "wellbeing_follow_ups"): {},
        ("feedback", "handle_wellbeing_follow_up"): {"follow_up_id": "00000000-0000-4000-8000-000000000001"},
        ("notifications", "set_contact"): {"email": "someone@example.org"},
        ("notifications", "mute_kinds"): {"muted": ["feedback_reminder"]},
        ("notifications", "forget_contact"): {},
        ("notifications", "get_contact"): {},
        ("notifications", "undelivered_notifications"): {},
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

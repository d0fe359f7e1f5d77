"""A person acting on another's data is forbidden: an expert on another expert, an orderer on another orderer's
engagement, a contact person on another organization's expert."""

from __future__ import annotations

import pytest

from shared.messaging.rpc import RemoteError
from tests.callers import request
from tests.integration.authorization.matrix import (
    CONTACT,
    OTHER_CONTACT,
    OTHER_SCHOOL,
    PEKKA,
    TODAY,
)

pytestmark = pytest.mark.integration


ANOTHERS = [
    # an expert on another expert
    (PEKKA, "registry.cmd.give_consent", {"expert_id": "maija"}),
    (PEKKA, "registry.cmd.erase_expert", {"expert_id": "maija"}),
    (OTHER_SCHOOL, "registry.cmd.erase_orderer", {"orderer_id": "school", "ground": "objection"}),
    (OTHER_CONTACT, "registry.cmd.erase_contact_person", {"person_id": "olli", "ground": "objection"}),
    # a contact person on another organization's agreement
    (OTHER_CONTACT, "registry.cmd.sign_organization_agreement", {"organization_id": "mieli", "agreement_id": "a-1",
                                                                 "document_hash": "0" * 64}),
    (OTHER_CONTACT, "registry.query.organization_agreement", {"organization_id": "mieli", "agreement_id": "a-1"}),
    (OTHER_CONTACT, "registry.query.organization_agreement_pdf", {"organization_id": "mieli",
                                                                  "agreement_id": "a-1"}),
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
    (PEKKA, "orders.cmd.accept_change", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "orders.cmd.decline_change", {"engagement_id": "{engagement_id}", "reason": "x"}),
    (PEKKA, "contracts.cmd.sign_contract", {"engagement_id": "{engagement_id}", "party": "expert"}),
    (PEKKA, "contracts.query.get_contract", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.query.contract_document", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.query.contract_pdf", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.cmd.set_income_limit", {"expert_id": "maija", "annual_limit": "9000"}),
    (PEKKA, "contracts.cmd.clear_income_limit", {"expert_id": "maija"}),
    (PEKKA, "contracts.query.income_summary", {"expert_id": "maija"}),
    (PEKKA, "contracts.query.legal_holds", {"expert_id": "maija"}),
    (PEKKA, "contracts.query.income_check", {"expert_id": "maija", "on": "2030-01-01", "duration_hours": "2"}),
    (PEKKA, "contracts.cmd.decline_fee", {"engagement_id": "{engagement_id}"}),
    (PEKKA, "contracts.cmd.attach_receipt", {"engagement_id": "{engagement_id}", "line_no": 1,
                                             "data": "JVBERi0xLjQK"}),
    (PEKKA, "contracts.query.receipt", {"engagement_id": "{engagement_id}",
                                        "receipt_id": "00000000-0000-4000-8000-000000000001"}),
    (PEKKA, "contracts.cmd.claim_expenses", {"engagement_id": "{engagement_id}",
                                             "lines": [{"kind": "parking", "amount": "4.50"}]}),
    (PEKKA, "feedback.cmd.submit_feedback", {"engagement_id": "{engagement_id}", "form": "self_assessment",
                                             "ratings": {"preparation": 1, "own_wellbeing": 1, "experience_heard": 1,
                                                         "would_do_again": 1}}),
    (PEKKA, "notifications.cmd.set_contact", {"person_id": "maija", "email": "pekka@example.org"}),
    (PEKKA, "notifications.cmd.mute_kinds", {"person_id": "maija", "muted": ["feedback_reminder"]}),
    (PEKKA, "notifications.cmd.forget_contact", {"person_id": "maija"}),
    (PEKKA, "notifications.query.get_contact", {"person_id": "maija"}),
    (PEKKA, "notifications.query.undelivered_notifications", {"person_id": "maija"}),
    # an orderer on another orderer's engagement
    (OTHER_SCHOOL, "contracts.query.receipt", {"engagement_id": "{engagement_id}",
                                               "receipt_id": "00000000-0000-4000-8000-000000000001"}),
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
    (OTHER_SCHOOL, "notifications.query.get_contact", {"person_id": "school"}),
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

"""Amending a contract through the web, without a browser (the services faked): the coordinator's form sends
only what changes and shows the service's complaint at its field; a party reads every version of the amended
contract and signs only the version in force."""

from __future__ import annotations

import base64
import uuid

from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

ENGAGEMENT = str(uuid.uuid4())
CONTRACT = {"status": "fully_signed", "fully_signed": True, "version_signed": False, "document_version": 2,
            "signed_by": {"expert": None, "orderer": None}}


def document(body):
    version = body.get("version", 2)
    return {"engagement_id": ENGAGEMENT, "version": version, "language": "fi", "sha256": f"{version}" * 64,
            "html": f"<article><h1>Toimeksiantosopimus</h1><p>Versio {version}</p></article>",
            "current_version": 2, "to_sign": version == 2}


def test_the_coordinator_amends_only_what_changes_and_sees_a_complaint_at_its_field():
    def amend(body):
        if body.get("task_date") == "2020-01-01":
            raise RemoteError("validation", "task_date: is in the past",
                              [{"field": "task_date", "reason": "is in the past", "allowed": "on or after today"}])
        return {"engagement_id": ENGAGEMENT}
    fake = FakeServices(answers={"contracts.cmd.amend_contract": amend})
    with web_client(fake) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get(f"/engagements/{ENGAGEMENT}/amend")
        assert page.status_code == 200 and "Muuta sopimusta" in page.text
        sent = client.post(f"/engagements/{ENGAGEMENT}/amend", data={
            "csrf_token": form_token(page.text), "duration_hours": "3", "remote": "true", "place": ""},
            follow_redirects=False)
        assert sent.status_code == 303
        past = client.post(f"/engagements/{ENGAGEMENT}/amend", data={
            "csrf_token": form_token(page.text), "task_date-day": "1", "task_date-month": "1",
            "task_date-year": "2020"})
        assert past.status_code == 400 and 'href="#f-task-date"' in past.text
    assert [b for s, b, _ in fake.asked if s.endswith("amend_contract")] == [
        {"engagement_id": ENGAGEMENT, "duration_hours": "3", "remote": "true"},
        {"engagement_id": ENGAGEMENT, "task_date": "2020-01-01"}]


def test_a_party_reads_every_version_and_signs_only_the_one_in_force():
    fake = FakeServices(acts=[capacity("expert", "maija")], answers={
        "contracts.query.get_contract": CONTRACT, "contracts.query.contract_document": document})
    with web_client(fake) as client:
        sign_in(client, email="maija@example.org")
        current = client.get(f"/engagements/{ENGAGEMENT}/contract")
        assert "Versio 2" in current.text and 'href="?version=1"' in current.text
        assert 'name="document_hash" value="' + "2" * 64 in current.text
        first = client.get(f"/engagements/{ENGAGEMENT}/contract?version=1")
        assert "Versio 1" in first.text and "document_hash" not in first.text
    asked = [b for s, b, _ in fake.asked if s.endswith("contract_document")]
    assert asked == [{"engagement_id": ENGAGEMENT, "language": "fi"},
                     {"engagement_id": ENGAGEMENT, "language": "fi", "version": 1}]


def test_the_contract_downloads_as_pdf_in_the_persons_language():
    pdf = b"%PDF-1.7 the contract"
    fake = FakeServices(acts=[capacity("orderer", "school-1")], answers={
        "contracts.query.contract_pdf": lambda body: {
            "pdf": base64.b64encode(pdf).decode(), "filename": f"contract-{ENGAGEMENT}-v1-{body['language']}.pdf"}})
    with web_client(fake) as client:
        sign_in(client, email="school@example.org")
        answer = client.get(f"/engagements/{ENGAGEMENT}/contract.pdf?version=1", headers={"Accept-Language": "sv"})
        assert answer.status_code == 200 and answer.content == pdf
        assert answer.headers["content-type"] == "application/pdf"
        assert f'filename="contract-{ENGAGEMENT}-v1-sv.pdf"' in answer.headers["content-disposition"]
    assert [b for s, b, _ in fake.asked if s.endswith("contract_pdf")] == [
        {"engagement_id": ENGAGEMENT, "language": "sv", "version": 1}]

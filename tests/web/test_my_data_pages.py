"""An expert's own data from every service (the right of access), over a fake of the services: each section asked
in the expert's name, a service that cannot answer named while the rest is shown, the same as JSON."""

from __future__ import annotations

import json

from services.contracts.handlers import legal_hold
from services.web.pages.my_data import SERVICE_TEXTS
from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, sign_in, web_client


def unavailable(_: dict) -> None:
    raise RemoteError("unavailable", "nobody answers on kokemus.contracts.query.list_contracts")


def history(*events: dict) -> dict:
    """Each service's answer to my_events: none of her events but the registry's and the orders'."""
    return {f"{service}.query.my_events": list(events) if service in ("registry", "orders") else []
            for service in ("registry", "orders", "contracts", "feedback", "notifications")}


UNLISTED = {"event_type": "ExpertUnlisted", "recorded_at": "2026-11-02T10:00:00+00:00", "stream_id": "expert-maija",
            "data": {"expert_id": "maija", "reason": "Tauko toiveesta"}, "erased": []}

ANSWERS = {
    **history(UNLISTED),
    "registry.query.get_expert": {"expert_id": "maija", "name": "Maija Mäkinen", "email": "maija@example.org"},
    "registry.query.consent_history": {"consents": [{"purpose": "bank_listing", "given_on": "2026-01-05"}]},
    "registry.query.who_viewed": [{"viewer_id": "rehtori", "kind": "view", "purpose": "finding_an_expert"}],
    "orders.query.list_offers": [{"offer_id": "o1", "topic": "Toipuminen", "status": "open"}],
    "orders.query.list_engagements": [],
    "contracts.query.list_contracts": unavailable,
    "contracts.query.income_summary": {"annual_limit": "1200.00"},
    "notifications.query.get_contact": {"email": "maija@koti.fi", "language": "fi"},
    "identity.query.my_sign_ins": {"sign_ins": [{"provider": "people", "begun_at": "2026-11-30T09:00:00+00:00"}]},
    "feedback.query.my_feedback": {"forms": []},
    "contracts.query.legal_holds": {"expert_id": "maija", "kept_after_erasure": False, "kept": [
        {"what": legal_hold.WHAT, "payments": 2, "rule": legal_hold.RULE, "until": "2032-12-31"}]},
}


def test_the_expert_reads_and_downloads_what_every_service_holds_about_them():
    services = FakeServices(acts=[capacity("expert", "maija")], answers=ANSWERS)
    with web_client(services) as client:
        sign_in(client, email="maija@example.org")
        page = client.get("/expert/my-data")
        assert page.status_code == 200
        for shown in ("Maija Mäkinen", "bank_listing", "rehtori", "Toipuminen", "1200.00", "maija@koti.fi",
                      "Minusta kirjattu rekisteriin", "ExpertUnlisted", "Tauko toiveesta"):
            assert shown in page.text, shown
        assert "Ei juuri nyt saatavilla" in page.text and "list_contracts" in page.text  # named, not hidden
        assert "Sähköpostiosoite" in page.text and "Kirjautumistapa" in page.text  # field names read in Finnish
        # What is kept under a legal obligation, under which rule, until when: the rule in Finnish too.
        assert "Säilytetään lakisääteisesti" in page.text and "2032-12-31" in page.text
        assert "Kirjanpitolaki 2:10 §: tositteet säilytetään kuusi vuotta" in page.text
        download = client.get("/expert/my-data.json")
    assert download.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    document = json.loads(download.text)
    assert document["person"] == {"id": "maija", "role": "expert"}
    by_source = {section["source"]: section for section in document["sections"]}
    assert set(by_source) == set(ANSWERS)
    assert by_source["notifications.query.get_contact"]["data"]["email"] == "maija@koti.fi"
    assert "unavailable" in by_source["contracts.query.list_contracts"]
    # Each asked in her own name, for her own records.
    asked = {subject.removeprefix("kokemus."): (body, token) for subject, body, token in services.asked}
    assert asked["registry.query.get_expert"] == ({"expert_id": "maija"}, "token-for-maija")


def test_only_the_expert_opens_their_data_page():
    services = FakeServices(acts=[capacity("orderer", "rehtori")], answers=ANSWERS)
    with web_client(services) as client:
        sign_in(client, email="rehtori@turku.fi")
        assert client.get("/expert/my-data").status_code == 403
        assert client.get("/expert/my-data.json").status_code == 403


ORDERER_ANSWERS = {
    **history(),
    "registry.query.my_record": {"orderer_id": "rehtori", "orderer_name": "Turun koulu", "email": "rehtori@turku.fi",
                                 "credentials_valid": True,
                                 "looked_at": [{"kind": "view", "expert_id": "maija", "purpose": "finding_an_expert"}]},
    "orders.query.list_orders": [{"order_id": "o1", "topic": "Toipuminen"}],
    "orders.query.list_engagements": [],
    "contracts.query.list_contracts": [],
    "feedback.query.my_feedback": {"forms": [{"form": "orderer_feedback", "free_text": "Oppilaat kiittivät."}]},
    "notifications.query.get_contact": {"email": "rehtori@koti.fi"},
    "identity.query.my_sign_ins": {"sign_ins": []},
}


def test_an_orderer_and_a_contact_person_read_their_own_data_each_asked_in_their_name():
    services = FakeServices(acts=[capacity("orderer", "rehtori")], answers=ORDERER_ANSWERS)
    with web_client(services) as client:
        sign_in(client, email="rehtori@turku.fi")
        page = client.get("/orderer/my-data")
        assert page.status_code == 200
        for shown in ("Turun koulu", "rehtori@turku.fi", "Toipuminen", "Mitä olen katsonut", "Tunnukset voimassa",
                      "Oppilaat kiittivät."):
            assert shown in page.text, shown
        assert client.get("/expert/my-data").status_code == 403
        document = json.loads(client.get("/orderer/my-data.json").text)
    assert document["person"] == {"id": "rehtori", "role": "orderer"}
    assert {section["source"] for section in document["sections"]} == set(ORDERER_ANSWERS)
    asked = [(subject.removeprefix("kokemus."), token) for subject, _, token in services.asked]
    assert {(subject, token) for subject, token in asked if subject in ORDERER_ANSWERS} == \
        {(subject, "token-for-rehtori") for subject in ORDERER_ANSWERS}

    contact = {"registry.query.my_record": {"person_id": "olli", "name": "Olli Ohjaaja", "email": "olli@mieli.fi"},
               "notifications.query.get_contact": {}, "identity.query.my_sign_ins": {"sign_ins": []},
               "registry.query.my_events": [], "notifications.query.my_events": []}
    services = FakeServices(acts=[capacity("organization_contact", "olli")], answers=contact)
    with web_client(services) as client:
        sign_in(client, email="olli@mieli.fi")
        page = client.get("/organization/my-data")
        assert page.status_code == 200 and "Olli Ohjaaja" in page.text
        assert client.get("/orderer/my-data").status_code == 403


def test_the_legal_hold_texts_the_page_translates_are_the_contracts_services_own():
    assert {legal_hold.RULE, legal_hold.WHAT} <= set(SERVICE_TEXTS)

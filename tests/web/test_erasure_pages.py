"""A coordinator erases an expert's data on a recorded ground (over a fake of the services): without a ground
nothing is sent and the field says why; the outcome names what the law keeps, under which rule, until when, in
Finnish and in Swedish."""

from __future__ import annotations

from services.contracts.handlers import legal_hold
from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, form_token, sign_in, web_client

HOLDS = {"expert_id": "maija", "kept_after_erasure": True, "kept": [
    {"what": legal_hold.WHAT, "payments": 2, "rule": legal_hold.RULE, "until": "2032-12-31"}]}


def erase(body: dict) -> dict:
    if not body.get("ground"):
        raise RemoteError("validation", "ground: is required",
                          [{"field": "ground", "reason": "is required", "allowed": "a ground of erasure"}])
    return {"expert_id": body["expert_id"], "erased": True}


def test_the_coordinator_erases_an_expert_and_sees_what_the_law_keeps():
    fake = FakeServices(answers={"registry.cmd.erase_expert": erase, "contracts.query.legal_holds": HOLDS})
    with web_client(fake) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/experts/maija/erase")
        assert page.status_code == 200 and "kirjanpitolain" in page.text
        missing = client.post("/coordinator/experts/maija/erase", data={"csrf_token": form_token(page.text)})
        assert missing.status_code == 400 and 'href="#f-ground"' in missing.text
        sent = client.post("/coordinator/experts/maija/erase", data={
            "csrf_token": form_token(page.text), "ground": "consent_withdrawn"}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/coordinator/experts/maija/erased"
        outcome = client.get("/coordinator/experts/maija/erased")
        assert "Asiantuntijan tiedot on poistettu." in outcome.text  # the notice
        assert "Kirjanpitolaki 2:10 §: tositteet säilytetään kuusi vuotta" in outcome.text
        assert "2032-12-31" in outcome.text
        swedish = client.get("/coordinator/experts/maija/erased", headers={"accept-language": "sv"},
                             cookies={"lang": "sv"})
    assert [b for s, b, _ in fake.asked if s.endswith("erase_expert")][-1] == {
        "expert_id": "maija", "ground": "consent_withdrawn"}
    assert {tuple(b.items()) for s, b, _ in fake.asked if s.endswith("legal_holds")} == {(("expert_id", "maija"),)}
    assert "verifikaten bevaras sex år" in swedish.text


def test_nothing_kept_is_said_so():
    fake = FakeServices(answers={"contracts.query.legal_holds": {**HOLDS, "kept": []}})
    with web_client(fake) as client:
        sign_in(client, staff_role="coordinator")
        assert "Mitään ei säilytetä" in client.get("/coordinator/experts/pekka/erased").text

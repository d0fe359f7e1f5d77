"""A change of the task through the web, without a browser (the services faked): the expert declines a change with
a reason, the service's complaint shown at its field; the orderer then sees the change declined and why, and a way
to cancel; nobody but the expert is offered the answer."""

from __future__ import annotations

import uuid

from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

ENGAGEMENT = str(uuid.uuid4())
TERMS = {"engagement_id": ENGAGEMENT, "status": "confirmed", "task_type": "lecture", "topic": "Toipuminen",
         "date": "2026-04-01", "start_time": "10:00:00", "duration_hours": "2", "remote": False, "place": "Turku",
         "expert_id": "maija", "orderer_id": "school-1", "proposed_change": None, "declined_change": None}


def not_yet(body):
    raise RemoteError("not_found", "not drafted yet")


ELSEWHERE = {"contracts.query.get_contract": not_yet, "feedback.query.get_feedback": not_yet}


def test_the_expert_declines_a_change_with_a_reason_shown_at_its_field_when_missing():
    def decline(body):
        if not body.get("reason"):
            raise RemoteError("validation", "reason: is empty", [{"field": "reason", "reason": "is empty"}])
        return {"engagement_id": ENGAGEMENT, "change": "declined"}
    fake = FakeServices(acts=[capacity("expert", "maija")], answers={**ELSEWHERE,
        "orders.query.get_engagement": {**TERMS, "proposed_change": {"start_time": "14:00:00"}},
        "orders.cmd.decline_change": decline})
    with web_client(fake) as client:
        sign_in(client, email="maija@example.org")
        page = client.get(f"/engagements/{ENGAGEMENT}")
        assert "Tehtävän muutos" in page.text and "10:00, muutetaan: 14:00" in page.text
        assert f'action="/engagements/{ENGAGEMENT}/change/accept"' in page.text
        form = client.get(f"/engagements/{ENGAGEMENT}/change/decline")
        empty = client.post(f"/engagements/{ENGAGEMENT}/change/decline",
                            data={"csrf_token": form_token(form.text), "reason": ""})
        assert empty.status_code == 400 and 'href="#f-reason"' in empty.text
        sent = client.post(f"/engagements/{ENGAGEMENT}/change/decline",
                           data={"csrf_token": form_token(form.text), "reason": "Opetan iltapäivisin"},
                           follow_redirects=False)
        assert sent.status_code == 303
    assert [b for s, b, _ in fake.asked if s.endswith("decline_change")][-1] == {
        "engagement_id": ENGAGEMENT, "reason": "Opetan iltapäivisin"}


def test_the_orderer_sees_a_change_waiting_and_then_declined_with_the_reason():
    waiting = {**TERMS, "proposed_change": {"date": "2026-04-03"}}
    declined = {**TERMS, "declined_change": {"start_time": "14:00:00", "reason": "Opetan iltapäivisin"}}
    answers = iter([waiting, declined])
    fake = FakeServices(acts=[capacity("orderer", "school-1")],
                        answers={**ELSEWHERE, "orders.query.get_engagement": lambda body: next(answers)})
    with web_client(fake) as client:
        sign_in(client, email="school@example.org")
        page = client.get(f"/engagements/{ENGAGEMENT}")
        assert "Odottaa kokemusasiantuntijan vastausta." in page.text and "/change/accept" not in page.text
        page = client.get(f"/engagements/{ENGAGEMENT}")
        assert "Kokemusasiantuntija kieltäytyi muutoksesta" in page.text
        assert "10:00, ei muutettu: 14:00" in page.text and "Opetan iltapäivisin" in page.text
        assert f'href="/engagements/{ENGAGEMENT}/cancel"' in page.text

"""The feedback pages over a fake of the services: the form shows the questionnaire's current version in the
person's language (scale, choice and free-text questions), and sends the version it showed."""

from __future__ import annotations

import uuid

from tests.unit.feedback.questionnaires import VERSION_2
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

ENGAGEMENT = str(uuid.uuid4())
QUESTIONS = {"scale": [1, 5], "versions": {"self_assessment": 2}, "forms": {"self_assessment": VERSION_2}}


def expert_services() -> FakeServices:
    return FakeServices(acts=[capacity("expert", "maija")], answers={
        "feedback.query.feedback_questions": lambda body: QUESTIONS,
        "feedback.cmd.submit_feedback": {"engagement_id": ENGAGEMENT, "completed": False}})


def test_the_form_asks_the_current_questionnaire_in_finnish_and_sends_its_version():
    services = expert_services()
    with web_client(services) as client:
        sign_in(client, email="maija@example.org")
        page = client.get(f"/engagements/{ENGAGEMENT}/feedback")
        assert page.status_code == 200
        assert "Valmistautuminen sujui." in page.text and "Miten tehtävä tuli?" in page.text
        assert 'name="choices.channel" value="direct"' in page.text and "Suoraan" in page.text
        assert 'name="texts.learned"' in page.text
        assert f'action="/engagements/{ENGAGEMENT}/feedback?version=2"' in page.text
        answers = {f"ratings.{q['id']}": "4" for q in VERSION_2 if q["kind"] == "scale"}
        sent = client.post(f"/engagements/{ENGAGEMENT}/feedback?version=2", data={
            "csrf_token": form_token(page.text), **answers, "choices.channel": "direct",
            "texts.learned": "Paljon.", "free_text": ""}, follow_redirects=False)
        assert sent.status_code == 303
    [(_, body, _)] = [asked for asked in services.asked if asked[0].endswith("submit_feedback")]
    assert body == {"engagement_id": ENGAGEMENT, "form": "self_assessment", "questionnaire_version": 2,
                    "ratings": {q["id"]: 4 for q in VERSION_2 if q["kind"] == "scale"},
                    "choices": {"channel": "direct"}, "texts": {"learned": "Paljon."}}
    asked_for = [body for subject, body, _ in services.asked if subject.endswith("feedback_questions")]
    assert asked_for == [{"form": "self_assessment"}, {"form": "self_assessment", "version": 2}]


def test_the_form_reads_in_swedish():
    with web_client(expert_services()) as client:
        sign_in(client, email="maija@example.org")
        page = client.get(f"/engagements/{ENGAGEMENT}/feedback", headers={"Accept-Language": "sv"})
        assert "Förberedelserna gick bra." in page.text and "Vad lärde du dig?" in page.text

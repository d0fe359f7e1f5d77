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


def coordinator_services(refuse=None) -> FakeServices:
    current = {"scale": [1, 5], "versions": {"orderer_feedback": 1, "self_assessment": 1},
               "forms": {"orderer_feedback": VERSION_2[:2], "self_assessment": VERSION_2[:1]}}
    return FakeServices(answers={
        "feedback.query.feedback_questions": lambda body: current,
        "feedback.cmd.define_questionnaire": refuse or {"form": "orderer_feedback", "version": 2}})


def test_the_coordinator_sees_each_forms_questions_and_defines_a_new_version():
    services = coordinator_services()
    with web_client(services) as client:
        sign_in(client, staff_role="coordinator")
        listed = client.get("/coordinator/questionnaires")
        assert "Valmistautuminen sujui." in listed.text and "versio 1" in listed.text
        page = client.get("/coordinator/questionnaires/orderer_feedback")
        assert page.status_code == 200
        assert 'value="experience_heard"' in page.text  # the current questions filled in
        assert "Kysymys 5" in page.text  # two current questions and three empty groups
        data = {"csrf_token": form_token(page.text)}
        for at, question in enumerate([*VERSION_2[:2], VERSION_2[5]]):
            data |= {f"questions.{at}.id": question["id"], f"questions.{at}.kind": question["kind"],
                     f"questions.{at}.dimension": question.get("dimension", "")}
            data |= {f"questions.{at}.text.{lang}": text for lang, text in question["text"].items()}
        data["questions.2.options"] = ("organization | Järjestön kautta | Via organisationen | Through the "
                                       "organization\n\ndirect | Suoraan | Direkt | Directly")
        sent = client.post("/coordinator/questionnaires/orderer_feedback", data=data, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/coordinator/questionnaires"
    [(_, body, _)] = [asked for asked in services.asked if asked[0].endswith("define_questionnaire")]
    assert body == {"form": "orderer_feedback", "questions": [
        *VERSION_2[:2], VERSION_2[5]]}


def test_a_refused_definition_shows_the_problem_at_its_question():
    from shared.messaging.rpc import RemoteError

    def refuse(body):
        raise RemoteError("validation", "the questionnaire cannot be defined", [
            {"field": "questions.1.text.sv", "reason": "Field required", "allowed": "a value is required"},
            {"field": "questions", "reason": "do not ask usefulness", "allowed": "every shared dimension"}])

    with web_client(coordinator_services(refuse)) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/questionnaires/orderer_feedback")
        sent = client.post("/coordinator/questionnaires/orderer_feedback", data={
            "csrf_token": form_token(page.text), "questions.0.id": "preparation"})
        assert sent.status_code == 400
        assert 'href="#f-questions-1-text-sv"' in sent.text and 'id="f-questions-1-text-sv-error"' in sent.text
        assert "do not ask usefulness" in sent.text


def test_only_a_coordinator_defines_questionnaires():
    with web_client(expert_services()) as client:
        sign_in(client, email="maija@example.org")
        assert client.get("/coordinator/questionnaires").status_code == 403
        assert client.get("/coordinator/questionnaires/self_assessment").status_code == 403

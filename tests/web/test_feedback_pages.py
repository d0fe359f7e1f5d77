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


def follow_up_services() -> FakeServices:
    import datetime as dt

    from services.feedback.domain import Status
    from services.feedback.events import Dimension, Form
    from services.feedback.export import as_csv
    from services.feedback.report import FormRecord, follow_up

    at = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    records = [FormRecord(uuid.uuid4(), Form.orderer_feedback, at, Status.answered, {"usefulness": value}, 1,
                          "lecture") for value in (5, 4, 4, 3, 4)]
    records += [FormRecord(uuid.uuid4(), Form.orderer_feedback, at, Status.answered, {"usefulness": 1}, 1, "media")]
    report = follow_up(records, dt.date(2026, 1, 1), dt.date(2026, 3, 31),
                       {Form.orderer_feedback: {1: {"usefulness": Dimension.usefulness}}})
    seeded = {"versions": {}, "forms": {"orderer_feedback": [{"id": "usefulness", "kind": "scale", "text": {
        "fi": "Hyödyllistä.", "sv": "Nyttigt.", "en": "Useful."}}]}}
    return FakeServices(answers={
        "feedback.query.follow_up_report": lambda body: {"csv": as_csv(report)} if body.get("format") else report,
        "feedback.query.feedback_questions": seeded})


def test_the_report_shows_its_figures_hides_the_small_ones_and_downloads_as_csv():
    services = follow_up_services()
    with web_client(services) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/report?from-day=1&from-month=1&from-year=2026&until-day=31&until-month=3"
                          "&until-year=2026&by=task_type")
        assert page.status_code == 200
        text = page.text
        assert "Hyödyllistä." in text and "Itsearviointi ja tilaajan palaute rinnakkain" in text
        assert "Puheenvuoro tai luento" in text
        # The orderers' usefulness over six answers: (5 + 4 + 4 + 3 + 4 + 1) / 6 = 3.5; lectures' five: 4.0.
        assert '<td class="numeric">3,5</td>' in text and '<td class="numeric">4</td>' in text
        assert text.count('class="suppressed"') >= 3  # the one media engagement: its count, answers and rate
        link = 'href="/coordinator/report.csv?from-day=1&amp;from-month=1&amp;from-year=2026&amp;until-day=31'
        assert link in text
        by_kind = client.get("/coordinator/report?by=orderer_kind").text
        assert "Eriteltynä: Tilaajan laji" in by_kind and "<td>Ei tiedossa</td>" in by_kind
        download = client.get("/coordinator/report.csv?from-day=1&from-month=1&from-year=2026&until-day=31"
                              "&until-month=3&until-year=2026")
        assert download.headers["content-type"].startswith("text/csv")
        assert "follow-up.csv" in download.headers["content-disposition"]
        assert "task_type,media,engagements,suppressed" in download.text
    asked = [body for subject, body, _ in services.asked if subject.endswith("follow_up_report")]
    assert asked[0] == {"from": "2026-01-01", "until": "2026-03-31"}
    assert asked[-1] == {"from": "2026-01-01", "until": "2026-03-31", "format": "csv"}


def test_the_contact_person_sees_the_organizations_wellbeing_follow_ups_by_name():
    services = FakeServices(acts=[capacity("organization_contact", "olli", "mieli")], answers={
        "feedback.query.wellbeing_follow_ups": {"organization_id": "mieli", "follow_ups": [
            {"follow_up_id": str(uuid.uuid4()), "expert_id": "maija", "engagement_id": ENGAGEMENT,
             "raised_at": "2026-03-10T12:00:00+00:00"}]},
        "registry.query.list_experts": [{"expert_id": "maija", "name": "Maija Meikäläinen"}]})
    with web_client(services) as client:
        sign_in(client, email="olli@mieli.fi")
        page = client.get("/organization/wellbeing")
        assert page.status_code == 200
        assert '<a href="/organization/experts/maija">Maija Meikäläinen</a>' in page.text
        assert "10.3.2026" in page.text and 'href="/organization/wellbeing"' in page.text  # in the navigation
    assert [body for subject, body, _ in services.asked if subject.endswith("list_experts")] == [
        {"organization_id": "mieli"}]


def test_the_wellbeing_list_is_the_contact_persons_page_alone():
    for acts in ([capacity("coordinator", "anna")], [capacity("expert", "maija")]):
        with web_client(FakeServices(acts=acts)) as client:
            sign_in(client, email="x@example.org")
            assert client.get("/organization/wellbeing").status_code == 403


def test_a_version_the_questionnaire_does_not_have_shows_the_current_one():
    from shared.messaging.rpc import RemoteError

    def questions(body):
        if body.get("version") == 9:
            raise RemoteError("validation", "no version 9", [{"field": "version", "reason": "no version 9"}])
        return QUESTIONS

    services = FakeServices(acts=[capacity("expert", "maija")],
                            answers={"feedback.query.feedback_questions": questions})
    with web_client(services) as client:
        sign_in(client, email="maija@example.org")
        page = client.get(f"/engagements/{ENGAGEMENT}/feedback?version=9")
        assert page.status_code == 200
        assert f'action="/engagements/{ENGAGEMENT}/feedback?version=2"' in page.text


def test_the_contact_person_marks_a_follow_up_handled():
    follow_up = str(uuid.uuid4())
    services = FakeServices(acts=[capacity("organization_contact", "olli", "mieli")], answers={
        "feedback.query.wellbeing_follow_ups": {"organization_id": "mieli", "follow_ups": [
            {"follow_up_id": follow_up, "expert_id": "maija", "engagement_id": ENGAGEMENT,
             "raised_at": "2026-03-10T12:00:00+00:00"}]},
        "registry.query.list_experts": [],
        "feedback.cmd.handle_wellbeing_follow_up": {"follow_up_id": follow_up, "handled": True}})
    with web_client(services) as client:
        sign_in(client, email="olli@mieli.fi")
        page = client.get("/organization/wellbeing")
        action = f"/organization/wellbeing/{follow_up}/handled"
        assert f'action="{action}"' in page.text and "Merkitse hoidetuksi" in page.text
        done = client.post(action, data={"csrf_token": form_token(page.text)}, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, "/organization/wellbeing")
        assert "Seuranta on merkitty hoidetuksi." in client.get("/organization/wellbeing").text
    assert [body for subject, body, _ in services.asked if subject.endswith("handle_wellbeing_follow_up")] == [
        {"follow_up_id": follow_up}]

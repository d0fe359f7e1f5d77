"""Questionnaires as versioned definitions: the coordinator defines the next version, answers name the version
they answered, and answers to older versions still read and count in the report."""

import uuid

import pytest

from services.feedback import messages as m
from services.feedback.events import Form
from services.feedback.handlers import (
    define_questionnaire,
    feedback_questions,
    follow_up_report,
    get_feedback,
    submit_feedback,
)
from shared.errors import Forbidden, Invalid
from tests.unit.calls import call
from tests.unit.feedback.fakes import COORDINATOR, EXPERT, ORDERER
from tests.unit.feedback.questionnaires import VERSION_2

SELF_V1 = {"preparation": 4, "own_wellbeing": 3, "experience_heard": 5, "would_do_again": 5}
ORDERER_V1 = {"usefulness": 5, "expert_preparation": 2, "cooperation": 3, "would_order_again": 5}
V2 = {"preparation": 2, "experience_heard": 4, "usefulness": 3, "cooperation": 5, "own_wellbeing": 1}


def define(form, questions=VERSION_2):
    return m.DefineQuestionnaire.model_validate({"form": form, "questions": questions})


async def answer(deps, upstream, version_answers, free_text=None, **extra):
    """One delivered engagement with both forms answered."""
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    own, theirs = version_answers
    await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.self_assessment,
                                                 ratings=own, free_text=free_text, **extra), EXPERT, deps)
    await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.orderer_feedback,
                                                 ratings=theirs, **extra), ORDERER, deps)
    return engagement_id


async def test_the_coordinator_defines_the_next_version_in_three_languages(deps):
    done = await call(define_questionnaire, define("self_assessment"), COORDINATOR, deps)
    assert done == {"form": "self_assessment", "version": 2}
    again = await call(define_questionnaire, define("self_assessment"), COORDINATOR, deps)
    assert again["version"] == 2  # the same questions again: no new version

    current = await call(feedback_questions, m.FeedbackQuestions(form=Form.self_assessment), EXPERT, deps)
    assert current["versions"] == {"self_assessment": 2}
    asked = current["forms"]["self_assessment"]
    assert [q["id"] for q in asked] == [q["id"] for q in VERSION_2]
    assert asked[5]["kind"] == "choice" and [o["id"] for o in asked[5]["options"]] == ["organization", "direct"]
    assert asked[6]["text"]["sv"] == "Vad lärde du dig?"
    first = await call(feedback_questions, m.FeedbackQuestions(form=Form.self_assessment, version=1), EXPERT, deps)
    assert [q["id"] for q in first["forms"]["self_assessment"]] == list(SELF_V1)
    with pytest.raises(Invalid) as error:
        await call(feedback_questions, m.FeedbackQuestions(form=Form.self_assessment, version=3), EXPERT, deps)
    assert error.value.fields[0].field == "version"


async def test_only_a_coordinator_defines_a_questionnaire(deps):
    for actor in (EXPERT, ORDERER):
        with pytest.raises(Forbidden):
            await call(define_questionnaire, define("orderer_feedback"), actor, deps)
    assert await deps.uow.store.read_stream("questionnaire-orderer_feedback") == []


@pytest.mark.parametrize("questions, field", [
    ([q for q in VERSION_2 if q["id"] != "cooperation"], "questions"),  # a shared dimension left out
    ([*VERSION_2, {**VERSION_2[0], "id": "prep_again"}], "questions.7.dimension"),  # a dimension asked twice
    ([*VERSION_2, VERSION_2[6]], "questions.7.id"),  # a question id twice
    ([{**q, "kind": "text"} if q["id"] == "usefulness" else q for q in VERSION_2], "questions.2.kind"),
    ([{**q, "options": q["options"][:1]} if q["id"] == "channel" else q for q in VERSION_2], "questions.5.options"),
    ([{**q, "id": "mood"} if q["id"] == "own_wellbeing" else q for q in VERSION_2], "questions.4.id"),
])
async def test_a_bad_definition_names_the_field_and_records_nothing(deps, questions, field):
    with pytest.raises(Invalid) as error:
        await call(define_questionnaire, define("self_assessment", questions), COORDINATOR, deps)
    assert field in {problem.field for problem in error.value.fields}
    assert await deps.uow.store.read_stream("questionnaire-self_assessment") == []


def test_a_definition_without_a_language_is_refused_by_its_field():
    no_swedish = [{**q, "text": {"fi": "Kysymys", "en": "Question"}} for q in VERSION_2]
    with pytest.raises(ValueError, match=r"questions\.0\.text\.sv"):
        define("self_assessment", no_swedish)


async def test_answers_to_both_versions_read_and_count_in_the_report(deps, upstream):
    old = [await answer(deps, upstream, (SELF_V1, ORDERER_V1), "Version one words.") for _ in range(5)]
    for form in Form:
        await call(define_questionnaire, define(form.value), COORDINATOR, deps)
    new = [await answer(deps, upstream, (V2, V2), choices={"channel": "direct"}, texts={"learned": "A lot."})
           for _ in range(5)]

    first = await call(get_feedback, m.GetFeedback(engagement_id=old[0]), COORDINATOR, deps)
    assert first["forms"]["self_assessment"]["questionnaire_version"] == 1
    assert first["forms"]["self_assessment"]["ratings"] == SELF_V1
    assert first["forms"]["self_assessment"]["free_text"] == "Version one words."
    second = await call(get_feedback, m.GetFeedback(engagement_id=new[0]), EXPERT, deps)
    own = second["forms"]["self_assessment"]
    assert (own["questionnaire_version"], own["ratings"], own["choices"], own["texts"]) == (
        2, V2, {"channel": "direct"}, {"learned": "A lot."})

    report = await call(follow_up_report, m.FollowUpReport.model_validate(
        {"from": "2024-03-01", "until": "2024-03-31"}), COORDINATOR, deps)
    # preparation: self 5 x 4 (v1) and 5 x 2 (v2) = 3.0; orderer 5 x 2 (v1 expert_preparation) and 5 x 2 = 2.0
    assert report["dimensions"]["preparation"] == {"self_assessment": 3.0, "orderer_feedback": 2.0}
    # usefulness: self asked only in v2 (5 x 3); orderer 5 x 5 (v1) and 5 x 3 (v2) = 4.0
    assert report["dimensions"]["usefulness"] == {"self_assessment": 3.0, "orderer_feedback": 4.0}
    assert report["dimensions"]["own_wellbeing"] == {"self_assessment": 2.0, "orderer_feedback": 1.0}
    assert report["forms"]["orderer_feedback"]["average_ratings"]["expert_preparation"] == 2.0
    assert (report["engagements"], report["completed"], report["answer_rate"]) == (10, 10, 1.0)


async def test_free_text_answers_and_wellbeing_are_sealed(deps, upstream):
    for form in Form:
        await call(define_questionnaire, define(form.value), COORDINATOR, deps)
    await answer(deps, upstream, (V2, V2), choices={"channel": "organization"}, texts={"learned": "About my relapse."})
    rows = [row for row in deps.uow.store.published if row.event_type == "FeedbackSubmitted"]
    assert len(rows) == 2
    for row in rows:
        assert "relapse" not in str(row.payload)
        assert "own_wellbeing" not in row.payload["ratings"] and row.payload["sealed_ratings"] is not None
        assert row.payload["choices"] == {"channel": "organization"}
        assert row.payload["questionnaire_version"] == 2


async def test_an_answer_is_checked_against_the_version_it_answers(deps, upstream):
    for form in Form:
        await call(define_questionnaire, define(form.value), COORDINATOR, deps)
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    with pytest.raises(Invalid) as error:  # the current version asks a choice, and this is no option of it
        await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.self_assessment,
                                                     ratings=V2, choices={"channel": "radio"}), EXPERT, deps)
    assert [p.field for p in error.value.fields] == ["choices.channel"]
    with pytest.raises(Invalid) as error:
        await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.self_assessment,
                                                     ratings=SELF_V1, questionnaire_version=4), EXPERT, deps)
    assert [p.field for p in error.value.fields] == ["questionnaire_version"]
    # The form shown before the change can still be sent, against version 1.
    done = await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.self_assessment,
                                                        ratings=SELF_V1, questionnaire_version=1), EXPERT, deps)
    assert done["questionnaire_version"] == 1
    assert len(await deps.uow.store.read_stream(f"feedback-{engagement_id}")) == 3

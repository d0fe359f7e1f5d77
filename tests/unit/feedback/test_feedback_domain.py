"""The feedback of one engagement as a user of the rules sees it: requested, answered once, reminded, closed."""

import datetime as dt
import uuid

import pytest

from services.feedback.domain import FREE_TEXT_MAX, MAX_REMINDERS, Answers, EngagementFeedback, Status
from services.feedback.events import (
    FeedbackClosedUnanswered,
    FeedbackCompleted,
    FeedbackReminderSent,
    FeedbackRequested,
    FeedbackSubmitted,
    Form,
)
from services.feedback.questionnaire import SEEDED
from shared.errors import Conflict, Invalid

T0 = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
DAYS_3 = dt.timedelta(days=3)
SELF = {"preparation": 4, "own_wellbeing": 3, "experience_heard": 5, "would_do_again": 5}
ORDERER = {"usefulness": 5, "expert_preparation": 4, "cooperation": 4, "would_order_again": 5}


def submit(feedback, form, ratings, free_text):
    """File the form against its seeded questionnaire, version 1."""
    feedback.submit(form, SEEDED[form], Answers(1, ratings), free_text)


def requested() -> EngagementFeedback:
    feedback = EngagementFeedback(str(uuid.uuid4()))
    feedback.request("expert-1", "orderer-1", T0)
    return feedback


def test_delivery_asks_the_expert_for_a_self_assessment_and_the_orderer_for_feedback():
    feedback = requested()
    assert [(e.form, e.respondent_id, e.requested_at) for e in feedback.pending] == [
        (Form.self_assessment, "expert-1", T0), (Form.orderer_feedback, "orderer-1", T0)]
    assert all(isinstance(e, FeedbackRequested) for e in feedback.pending)
    assert feedback.expert_id == "expert-1"


def test_asking_again_changes_nothing():
    feedback = requested()
    feedback.request("expert-1", "orderer-1", T0 + DAYS_3)
    assert len(feedback.pending) == 2


def test_both_forms_in_complete_the_feedback():
    feedback = requested()
    submit(feedback, Form.self_assessment, SELF, "It went well.")
    assert not feedback.completed
    submit(feedback, Form.orderer_feedback, ORDERER, None)
    assert feedback.completed
    kinds = [type(e) for e in feedback.pending[2:]]
    assert kinds == [FeedbackSubmitted, FeedbackSubmitted, FeedbackCompleted]


def test_a_form_is_submitted_once():
    feedback = requested()
    submit(feedback, Form.orderer_feedback, ORDERER, None)
    with pytest.raises(Conflict, match="already submitted"):
        submit(feedback, Form.orderer_feedback, ORDERER, None)


def test_nothing_can_be_submitted_before_delivery():
    feedback = EngagementFeedback(str(uuid.uuid4()))
    with pytest.raises(Conflict, match="feedback is requested when the engagement is delivered"):
        submit(feedback, Form.self_assessment, SELF, None)


def test_an_unknown_question_is_named_with_the_questions_allowed():
    feedback = requested()
    with pytest.raises(Invalid) as error:
        submit(feedback, Form.orderer_feedback, {**ORDERER, "catering": 5}, None)
    [problem] = error.value.fields
    assert problem.field == "ratings.catering"
    assert problem.allowed == ", ".join(q.id for q in SEEDED[Form.orderer_feedback])


def test_a_question_of_the_other_form_is_unknown_here():
    feedback = requested()
    with pytest.raises(Invalid) as error:
        submit(feedback, Form.self_assessment, {**SELF, "usefulness": 3}, None)
    assert [p.field for p in error.value.fields] == ["ratings.usefulness"]


def test_every_question_must_be_answered():
    feedback = requested()
    with pytest.raises(Invalid) as error:
        submit(feedback, Form.self_assessment, {"preparation": 4}, None)
    assert {p.field for p in error.value.fields} == {
        "ratings.own_wellbeing", "ratings.experience_heard", "ratings.would_do_again"}
    assert all(p.reason == "is not answered" for p in error.value.fields)


@pytest.mark.parametrize("value", [0, 6, -1])
def test_a_rating_off_the_scale_is_refused(value):
    feedback = requested()
    with pytest.raises(Invalid) as error:
        submit(feedback, Form.self_assessment, {**SELF, "own_wellbeing": value}, None)
    [problem] = error.value.fields
    assert problem.field == "ratings.own_wellbeing"
    assert problem.allowed == "an integer from 1 to 5"


def test_free_text_has_a_length_limit_and_blank_text_is_none():
    feedback = requested()
    with pytest.raises(Invalid) as error:
        submit(feedback, Form.self_assessment, SELF, "x" * (FREE_TEXT_MAX + 1))
    assert error.value.fields[0].field == "free_text"
    submit(feedback, Form.self_assessment, SELF, "   ")
    assert feedback.pending[-1].free_text is None


def test_reminders_come_an_interval_apart_and_stop_after_the_last():
    feedback = requested()
    feedback.pending.clear()
    feedback.remind(T0 + DAYS_3 - dt.timedelta(minutes=1), DAYS_3)
    assert feedback.pending == []
    sent = []
    for day in range(3, 3 * (MAX_REMINDERS + 2) + 1):
        feedback.remind(T0 + dt.timedelta(days=day), DAYS_3)
        assert all(isinstance(e, FeedbackReminderSent) for e in feedback.pending)
        sent += [(day, e.form, e.reminder_number) for e in feedback.pending]
        feedback.pending.clear()
    assert sent == [(day, form, number) for day, number in ((3, 1), (6, 2), (9, 3))
                    for form in (Form.self_assessment, Form.orderer_feedback)]


def test_an_answered_form_is_not_reminded_of():
    feedback = requested()
    submit(feedback, Form.orderer_feedback, ORDERER, None)
    feedback.pending.clear()
    feedback.remind(T0 + DAYS_3, DAYS_3)
    assert [(e.form, e.respondent_id) for e in feedback.pending] == [(Form.self_assessment, "expert-1")]


def test_closing_closes_only_the_open_forms_and_ends_reminders():
    feedback = requested()
    submit(feedback, Form.self_assessment, SELF, None)
    feedback.pending.clear()
    feedback.close_unanswered()
    assert feedback.pending == [FeedbackClosedUnanswered(engagement_id=feedback.engagement_id,
                                                         form=Form.orderer_feedback)]
    assert feedback.forms[Form.orderer_feedback].status is Status.closed
    feedback.pending.clear()
    feedback.remind(T0 + 10 * DAYS_3, DAYS_3)
    assert feedback.pending == []
    with pytest.raises(Conflict, match="closed unanswered"):
        submit(feedback, Form.orderer_feedback, ORDERER, None)

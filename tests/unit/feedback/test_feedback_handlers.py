"""The feedback service's handlers over the in-memory store: the orders and registry events it follows, the
commands and queries users send, and the reminder job."""

import datetime as dt
import uuid

import pytest

from services.feedback import messages as m
from services.feedback.events import Form
from services.feedback.handlers import (
    EngagementNotSeen,
    feedback_questions,
    follow_up_report,
    get_feedback,
    send_reminders,
    submit_feedback,
)
from services.orders import events as orders
from services.registry import events as registry
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.feedback.fakes import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    engagement_opened,
)

SELF = {"preparation": 4, "own_wellbeing": 3, "experience_heard": 5, "would_do_again": 5}
ORDERER_RATINGS = {"usefulness": 5, "expert_preparation": 4, "cooperation": 3, "would_order_again": 5}


def submit(form, ratings, engagement_id, free_text=None):
    return m.SubmitFeedback(engagement_id=engagement_id, form=form, ratings=ratings, free_text=free_text)


async def stream(deps, engagement_id):
    return await deps.uow.store.read_stream(f"feedback-{engagement_id}")


async def test_delivery_requests_both_forms_as_part_of_the_engagement(deps, upstream):
    engagement_id = uuid.uuid4()
    delivered = await upstream.open_and_deliver(engagement_id)
    events = await stream(deps, engagement_id)
    assert [(e.event_type, e.payload.form, e.payload.respondent_id) for e in events] == [
        ("FeedbackRequested", Form.self_assessment, EXPERT.id),
        ("FeedbackRequested", Form.orderer_feedback, ORDERER.id),
    ]
    assert {e.engagement_id for e in events} == {engagement_id}
    assert {e.causation_id for e in events} == {delivered.event_id}


async def test_a_redelivered_delivery_requests_nothing_more(deps, upstream):
    engagement_id = uuid.uuid4()
    delivered = await upstream.open_and_deliver(engagement_id)
    await upstream.deliver("orders", delivered)
    assert len(await stream(deps, engagement_id)) == 2


async def test_a_delivery_before_its_engagement_is_retried_until_the_engagement_is_known(deps, upstream):
    engagement_id = uuid.uuid4()
    opened = await upstream.record("orders", f"engagement-{engagement_id}",
                                   engagement_opened(engagement_id, EXPERT.id, ORDERER.id), engagement_id)
    delivered = await upstream.record("orders", f"engagement-{engagement_id}", orders.DeliveryConfirmed(
        engagement_id=engagement_id, actual_hours=2, kilometres=0), engagement_id)
    with pytest.raises(EngagementNotSeen):
        await upstream.deliver("orders", delivered)
    assert await stream(deps, engagement_id) == []
    await upstream.deliver("orders", opened)
    await upstream.deliver("orders", delivered)  # the retry
    assert len(await stream(deps, engagement_id)) == 2


async def test_a_cancelled_engagement_is_not_asked_for_feedback(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open(engagement_id)
    await upstream.publish("orders", f"engagement-{engagement_id}", orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="course cancelled", after_signing=False),
        engagement_id)
    await upstream.deliver_engagement(engagement_id)
    assert await stream(deps, engagement_id) == []


async def test_closing_the_engagement_closes_the_unanswered_form(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id), EXPERT, deps)
    await upstream.publish("orders", f"engagement-{engagement_id}",
                           orders.EngagementClosed(engagement_id=engagement_id), engagement_id)
    seen = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), COORDINATOR, deps)
    assert {form: view["status"] for form, view in seen["forms"].items()} == {
        "self_assessment": "answered", "orderer_feedback": "closed"}
    with pytest.raises(Conflict):
        await call(submit_feedback, submit(Form.orderer_feedback, ORDERER_RATINGS, engagement_id), ORDERER, deps)


async def test_both_respondents_answering_completes_the_feedback(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    first = await call(
        submit_feedback, submit(Form.self_assessment, SELF, engagement_id, "Tiring but good."), EXPERT, deps
    )
    second = await call(submit_feedback, submit(Form.orderer_feedback, ORDERER_RATINGS, engagement_id), ORDERER, deps)
    assert (first["completed"], second["completed"]) == (False, True)
    events = await stream(deps, engagement_id)
    assert [e.event_type for e in events[2:]] == ["FeedbackSubmitted", "FeedbackSubmitted", "FeedbackCompleted"]
    # Both answers concern the expert, whoever wrote them: each form is sealed with a key of its own, which the
    # expert's erasure shreds (and the free-text retention rule, services/feedback/retention.py).
    assert [e.subject_id for e in events[2:4]] == [f"answers-{engagement_id}-self_assessment",
                                                   f"answers-{engagement_id}-orderer_feedback"]
    with pytest.raises(Conflict, match="already submitted"):
        await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id), EXPERT, deps)


async def test_free_text_is_stored_sealed(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id, "My relapse came up."), EXPERT, deps)
    [row] = [row for row in deps.uow.store.published if row.event_type == "FeedbackSubmitted"]
    assert "relapse" not in str(row.payload)


@pytest.mark.parametrize("form, actor", [
    (Form.self_assessment, Actor(id="expert-2", role=Role.expert)),  # another expert
    (Form.self_assessment, ORDERER),  # the orderer cannot fill the expert's form
    (Form.orderer_feedback, Actor(id="orderer-2", role=Role.orderer)),
    (Form.orderer_feedback, COORDINATOR),
])
async def test_only_the_respondent_files_a_form(deps, upstream, form, actor):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    ratings = SELF if form is Form.self_assessment else ORDERER_RATINGS
    with pytest.raises(Forbidden):
        await call(submit_feedback, submit(form, ratings, engagement_id), actor, deps)
    assert len(await stream(deps, engagement_id)) == 2


async def test_a_form_cannot_be_filed_before_delivery(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open(engagement_id)
    with pytest.raises(Conflict, match="feedback is requested when the engagement is delivered"):
        await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id), EXPERT, deps)


async def test_answers_are_checked_against_the_form(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    with pytest.raises(Invalid) as error:
        await call(
            submit_feedback, submit(Form.orderer_feedback, {"usefulness": 9, "mood": 3}, engagement_id), ORDERER, deps
        )
    assert {p.field for p in error.value.fields} == {
        "ratings.mood", "ratings.usefulness", "ratings.expert_preparation", "ratings.cooperation",
        "ratings.would_order_again"}


async def test_each_respondent_sees_their_own_form_and_a_coordinator_both(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id, "Heard at last."), EXPERT, deps)
    await call(
        submit_feedback, submit(Form.orderer_feedback, ORDERER_RATINGS, engagement_id, "Eye-opening."), ORDERER, deps
    )

    everything = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), COORDINATOR, deps)
    assert everything["completed"] is True
    assert everything["forms"]["self_assessment"]["free_text"] == "Heard at last."
    assert everything["forms"]["orderer_feedback"]["ratings"] == ORDERER_RATINGS

    own = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), EXPERT, deps)
    assert list(own["forms"]) == ["self_assessment"]
    theirs = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), ORDERER, deps)
    assert list(theirs["forms"]) == ["orderer_feedback"]

    for stranger in (Actor(id="expert-2", role=Role.expert), Actor(id="a1", role=Role.auditor)):
        with pytest.raises(Forbidden):
            await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), stranger, deps)
    with pytest.raises(NotFound):
        await call(get_feedback, m.GetFeedback(engagement_id=uuid.uuid4()), COORDINATOR, deps)


async def test_erasing_the_expert_erases_the_free_text_and_own_wellbeing_but_keeps_the_other_ratings(deps, upstream):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await call(submit_feedback, submit(Form.self_assessment, SELF, engagement_id, "About my illness."), EXPERT, deps)
    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertErased(expert_id=EXPERT.id))
    seen = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), COORDINATOR, deps)
    assert seen["forms"]["self_assessment"]["free_text"] is None
    # The wellbeing rating tells of the expert's health: it was sealed with their key and is gone with it.
    assert seen["forms"]["self_assessment"]["ratings"] == {q: v for q, v in SELF.items() if q != "own_wellbeing"}
    # Nothing more about the erased expert is recorded: their open form is closed, nobody is reminded.
    assert seen["forms"]["orderer_feedback"]["status"] == "closed"


async def test_reminders_until_answered_at_most_three(deps, upstream, clock):
    assert deps.reminder_interval == dt.timedelta(days=3)
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)

    clock.advance(days=2, hours=23)
    assert await send_reminders(deps) == 0
    clock.advance(hours=1)
    assert await send_reminders(deps) == 2  # one to each respondent
    assert await send_reminders(deps) == 0  # not again before another interval

    await call(submit_feedback, submit(Form.orderer_feedback, ORDERER_RATINGS, engagement_id), ORDERER, deps)
    for _ in range(5):
        clock.advance(days=3)
        await send_reminders(deps)
    sent = [e.payload for e in await stream(deps, engagement_id) if e.event_type == "FeedbackReminderSent"]
    assert [(r.form, r.reminder_number) for r in sent] == [
        (Form.self_assessment, 1), (Form.orderer_feedback, 1), (Form.self_assessment, 2), (Form.self_assessment, 3)]
    seen = await call(get_feedback, m.GetFeedback(engagement_id=engagement_id), EXPERT, deps)
    assert seen["forms"]["self_assessment"]["reminders_sent"] == 3


async def test_no_reminders_once_the_engagement_is_closed(deps, upstream, clock):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await upstream.publish("orders", f"engagement-{engagement_id}",
                           orders.EngagementClosed(engagement_id=engagement_id), engagement_id)
    clock.advance(days=30)
    assert await send_reminders(deps) == 0


async def test_the_follow_up_report_is_for_coordinators_and_a_real_period(deps):
    with pytest.raises(Forbidden):
        await call(
            follow_up_report, m.FollowUpReport(from_=dt.date(2024, 1, 1), until=dt.date(2024, 2, 1)), EXPERT, deps
        )
    with pytest.raises(Invalid) as error:
        await call(
            follow_up_report, m.FollowUpReport(from_=dt.date(2024, 2, 1), until=dt.date(2024, 1, 1)), COORDINATOR, deps
        )
    assert error.value.fields[0].field == "until"


async def test_the_questions_are_published(deps):
    questions = await call(feedback_questions, m.FeedbackQuestions(form=Form.orderer_feedback), ORDERER, deps)
    assert [q["id"] for q in questions["forms"]["orderer_feedback"]] == list(ORDERER_RATINGS)
    assert questions["scale"] == [1, 5]
    assert questions["versions"] == {"orderer_feedback": 1}
    assert questions["forms"]["orderer_feedback"][0]["text"] == {
        "fi": "Kokemusasiantuntijan kokemustieto oli hyödyllistä työllemme.",
        "sv": "Erfarenhetsexpertens erfarenhetskunskap var till nytta för vårt arbete.",
        "en": "The expert's lived experience was useful for our work."}

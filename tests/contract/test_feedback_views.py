"""The views contract for feedback: forms, answers, the report's records."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from services.feedback import events as feedback
from services.feedback.cells import FormRecord, Place, cells_of
from services.feedback.domain import Status
from services.feedback.events import Form
from services.feedback.views import FollowUpRow, Parties
from services.orders import events as orders
from shared.clock import TIMEZONE
from shared.envelope import RecordedEvent
from shared.events import DomainEvent
from tests.contract.feed import as_set, ids, opened

SELF = {"preparation": 4, "own_wellbeing": 3, "experience_heard": 5, "would_do_again": 5}
SELF_CLEAR = {question: rating for question, rating in SELF.items() if question != "own_wellbeing"}
ORDERER = {"usefulness": 5, "expert_preparation": 4, "cooperation": 3, "would_order_again": 5}


def in_report_order(records: Iterable[FormRecord]) -> list[FormRecord]:
    """Forms requested in a period: the port leaves their order open."""
    return sorted(records, key=lambda r: (r.requested_at, r.engagement_id, r.form.value))


async def test_feedback(views_of):
    async with views_of("feedback") as feed:
        views = feed.views
        e1, e2, e3, e4, e5, e6 = ids(6)
        parties = {e1: Parties("maija", "school-1", task_type="lecture"), e2: Parties("pekka", "school-1"),
                   e3: Parties("maija", "clinic-1"), e4: Parties("maija", "clinic-1"), e5: Parties("liisa", "school-1")}

        # The engagements, as the feedback service's consumer of the orders service's events remembers them.
        for engagement_id, who in parties.items():
            event = await feed.record(f"engagement-{engagement_id}", opened(
                engagement_id, who.expert_id, who.orderer_id, dt.date(2026, 3, 20)), engagement_id=engagement_id)
            await feed.within(views.remember_engagement, engagement_id,
                              Parties(event.payload.expert_id, event.payload.orderer_id, task_type=who.task_type))
        await feed.record(f"engagement-{e4}", orders.EngagementCancelled(
            engagement_id=e4, cancelled_by="expert", reason="ill", after_signing=False), engagement_id=e4)
        await feed.within(views.mark_cancelled, e4)
        await feed.within(views.mark_cancelled, e6)  # never remembered: nothing to mark
        # Remembered again (the opening handled a second time): the same parties, still cancelled.
        await feed.within(views.remember_engagement, e4, parties[e4])
        await feed.within(views.remember_engagement, e1, parties[e1])

        for engagement_id, who in parties.items():
            expected = Parties(who.expert_id, who.orderer_id, engagement_id == e4, who.task_type)
            assert await views.parties(engagement_id) == expected
            assert await feed.within(views.parties, engagement_id) == expected  # inside a consumer's transaction
        assert await views.parties(e6) is None
        assert as_set(await views.engagements_of("maija")) == {e1, e3, e4}
        assert as_set(await feed.within(views.engagements_of, "pekka")) == {e2}
        assert await views.engagements_of("stranger") == []

        # The forms, from the service's own events, timed by its clock.
        t0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
        day = dt.timedelta(days=1)

        async def form(engagement_id: uuid.UUID, which: Form, event_type: type[DomainEvent],
                       **fields: Any) -> RecordedEvent:
            """An event of one form of the engagement, on the engagement's feedback stream."""
            if "respondent_id" in event_type.model_fields:
                who = parties.get(engagement_id, Parties("aino", "ward-1"))
                fields["respondent_id"] = who.expert_id if which is Form.self_assessment else who.orderer_id
            return await feed.follow(f"feedback-{engagement_id}", event_type(
                engagement_id=engagement_id, form=which, **fields), engagement_id=engagement_id)

        async def requested(engagement_id: uuid.UUID, at: dt.datetime | None, *forms: Form) -> None:
            for f in forms or tuple(Form):
                await form(engagement_id, f, feedback.FeedbackRequested, requested_at=at)

        # e1: both asked at t0; the expert answered, the orderer was reminded at t0 + 3 days.
        await requested(e1, t0)
        await form(e1, Form.self_assessment, feedback.FeedbackSubmitted, ratings=SELF_CLEAR,
                   sealed_ratings={"own_wellbeing": SELF["own_wellbeing"]})
        await form(e1, Form.orderer_feedback, feedback.FeedbackReminderSent, reminder_number=1, sent_at=t0 + 3 * day)
        # e2: asked a day earlier; the expert was reminded three times (no reminders left), the orderer answered.
        await requested(e2, t0 - day)
        for number in (1, 2, 3):
            await form(e2, Form.self_assessment, feedback.FeedbackReminderSent, reminder_number=number,
                       sent_at=t0 + (3 * number - 1) * day)
        await form(e2, Form.orderer_feedback, feedback.FeedbackSubmitted, ratings=ORDERER, questionnaire_version=2)
        # e3: asked two days before t0 and never answered: the longest waiting.
        await requested(e3, t0 - 2 * day)
        # e4: cancelled, so its one open form was closed unanswered.
        await requested(e4, t0 - 3 * day, Form.self_assessment)
        await form(e4, Form.self_assessment, feedback.FeedbackClosedUnanswered)
        # e5: asked after t0 and reminded by the same run of the reminder job as e1.
        await requested(e5, t0 + day)
        for f in Form:
            await form(e5, f, feedback.FeedbackReminderSent, reminder_number=1, sent_at=t0 + 3 * day)
        # e6: recorded without the service's time: its recording time counts.
        untimed = await form(e6, Form.self_assessment, feedback.FeedbackRequested)
        now = untimed.recorded_at

        # The longest waiting first; a tie (one reminder run) in id order.
        assert await views.due_for_reminder(t0 + 4 * day) == [e3, e1, e5]
        assert await views.due_for_reminder(t0 + 4 * day, limit=2) == [e3, e1]
        assert await views.due_for_reminder(t0 + 3 * day) == [e3, e1, e5]  # prompted at that instant: due
        assert await views.due_for_reminder(t0 + 3 * day - dt.timedelta(microseconds=1)) == [e3]
        assert await views.due_for_reminder(t0 - 3 * day) == []
        assert await views.due_for_reminder(now) == [e3, e1, e5, e6]

        def record(engagement_id: uuid.UUID, f: Form, at: dt.datetime, status: Status = Status.open,
                   ratings: dict[str, int] | None = None, version: int | None = None) -> FormRecord:
            """A form as the report reads it: with the version answered and its engagement's task kind."""
            answered = version or (1 if status is Status.answered else None)
            return FormRecord(engagement_id, f, at, status, ratings, answered,
                              parties[engagement_id].task_type if engagement_id in parties else None)

        own, theirs = Form.self_assessment, Form.orderer_feedback
        e1_forms = [record(e1, own, t0, Status.answered, SELF), record(e1, theirs, t0)]
        e2_forms = [record(e2, own, t0 - day), record(e2, theirs, t0 - day, Status.answered, ORDERER, 2)]
        e3_forms = [record(e3, own, t0 - 2 * day), record(e3, theirs, t0 - 2 * day)]
        e4_forms = [record(e4, own, t0 - 3 * day, Status.closed)]
        e5_forms = [record(e5, own, t0 + day), record(e5, theirs, t0 + day)]
        e6_forms = [record(e6, own, now)]
        # From the first instant, up to but not including the last.
        assert in_report_order(await views.forms_requested(t0 - 2 * day, t0 + day)) == in_report_order(
            e1_forms + e2_forms + e3_forms)
        assert in_report_order(await views.forms_requested(t0 - 10 * day, now + day)) == in_report_order(
            e1_forms + e2_forms + e3_forms + e4_forms + e5_forms + e6_forms)
        assert in_report_order(await views.forms_requested(now, now + day)) == e6_forms
        assert await views.forms_requested(t0 + 2 * day, now) == []
        # The report's figures summed in the views are the sums of those forms (cells_of is the definition).
        every = await views.forms_requested(t0 - 10 * day, now + day)
        cells = await views.follow_up_cells(*(at.astimezone(TIMEZONE).date() for at in (t0 - 10 * day, now)))
        assert cells == cells_of(in_report_order(every))
        e1_place = Place(None, t0.astimezone(TIMEZONE).strftime("%Y-%m"), "lecture", "unknown")
        assert cells.ratings[(e1_place, own, 1, "own_wellbeing")] == (SELF["own_wellbeing"], 1)
        # e1's self-assessment answered, not the orderer's feedback; no delivery's hours known here.
        assert cells.engagements[e1_place] == (1, 0, 0)
        # Nobody belongs to an organization the views know yet: every engagement counts as the unknown one's.
        assert cells.engagements[Place("unknown")] == (6, 0, 0)

        # Maija erased: her own-wellbeing rating leaves the report's rows; the other answers stay.
        await feed.within(views.forget_sealed_answers, "maija")
        assert in_report_order(await views.forms_requested(t0 - 2 * day, t0 + day)) == in_report_order(
            [record(e1, own, t0, Status.answered, SELF_CLEAR), record(e1, theirs, t0), *e2_forms, *e3_forms])


async def test_feedback_memberships_and_wellbeing_follow_ups(views_of):
    async with views_of("feedback") as feed:
        views = feed.views
        e1, e2 = ids(2)
        # The experts' organizations, as the consumer of the registry's events remembers them.
        for expert_id, organization_id in (("maija", "mieli"), ("maija", "varha"), ("pekka", "mieli"),
                                           ("maija", "mieli"), ("pekka", "varha")):
            await feed.within(views.remember_membership, expert_id, organization_id)
        await feed.within(views.forget_membership, "pekka", "varha")
        await feed.within(views.forget_membership, "liisa", "varha")  # never a member: nothing to forget
        assert await views.organizations_of("maija") == ["mieli", "varha"]
        assert await feed.within(views.organizations_of, "pekka") == ["mieli"]
        assert await views.organizations_of("liisa") == []

        # The report's rows carry the expert's organizations.
        order_id = uuid.uuid4()
        await feed.within(views.remember_order, order_id, True)
        await feed.within(views.remember_order, order_id, True)  # remembered again: the same
        await feed.within(views.remember_engagement, e1, Parties("maija", "school-1", task_type="media",
                                                                 order_id=order_id))
        assert (await views.parties(e1)).order_id == order_id
        await feed.within(views.record_hours, e1, Decimal("2.5"))
        at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)
        await feed.follow(f"feedback-{e1}", feedback.FeedbackRequested(
            engagement_id=e1, form=Form.self_assessment, respondent_id="maija", requested_at=at), engagement_id=e1)
        [row] = await views.forms_requested(at, at + dt.timedelta(days=1))
        assert (row.task_type, row.organizations, row.hours, row.orderer_kind) == (
            "media", ("mieli", "varha"), Decimal("2.5"), "county")
        cells = await views.follow_up_cells(at.astimezone(TIMEZONE).date(), at.astimezone(TIMEZONE).date())
        assert cells == cells_of([row])
        assert cells.engagements[Place("varha")] == (1, 0, Decimal("2.5"))

        # The follow-ups, from the service's own events: each organization sees its own, the newest first.
        def raised(follow_up_id, organization_id, expert_id, engagement_id, when):  # type: ignore[no-untyped-def]
            return feed.follow(f"wellbeing-{follow_up_id}", feedback.WellbeingFollowUpRaised(
                follow_up_id=follow_up_id, organization_id=organization_id, expert_id=expert_id,
                engagement_id=str(engagement_id), raised_at=when))

        f1, f2, f3 = ids(3)
        await raised(f1, "mieli", "maija", e1, at)
        await raised(f2, "varha", "maija", e1, at)
        await raised(f3, "mieli", "pekka", e2, at + dt.timedelta(hours=1))
        assert await views.follow_ups("mieli") == [FollowUpRow(f3, "pekka", e2, at + dt.timedelta(hours=1)),
                                                   FollowUpRow(f1, "maija", e1, at)]
        assert await views.follow_ups("varha") == [FollowUpRow(f2, "maija", e1, at)]
        assert await views.follow_ups("aseman-lapset") == []
        # Pekka's handled: it leaves Mieli's list (and its handling again changes nothing).
        for _ in range(2):
            await feed.follow(f"wellbeing-{f3}", feedback.WellbeingFollowUpHandled(
                follow_up_id=f3, organization_id="mieli", handled_at=at + dt.timedelta(days=1)))
        assert await views.follow_ups("mieli") == [FollowUpRow(f1, "maija", e1, at)]
        # Maija erased: her follow-ups go.
        assert await feed.within(views.forget_follow_ups, "maija") == sorted([f1, f2])
        assert await views.follow_ups("mieli") == [] and await views.follow_ups("varha") == []
        # A handled follow-up is kept until its expert is erased, so that its key is shredded then too.
        assert await feed.within(views.forget_follow_ups, "pekka") == [f3]

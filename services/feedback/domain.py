"""The feedback of one engagement: the expert's self-assessment and the orderer's feedback. No I/O here.

Both forms are requested when the engagement is delivered; each respondent answers their form once; a form
left open is reminded of at most ``MAX_REMINDERS`` times and closed when the engagement closes. The answers
are the ground of the follow-up and evaluation of the activity (see report.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field

from services.feedback.events import (
    FeedbackClosedUnanswered,
    FeedbackCompleted,
    FeedbackReminderSent,
    FeedbackRequested,
    FeedbackSubmitted,
    FeedbackTextRedacted,
    Form,
    Question,
)
from services.feedback.questionnaire import check_answers
from shared.aggregate import Aggregate
from shared.errors import Conflict, invalid
from shared.events import DomainEvent

FREE_TEXT_MAX = 4000
MAX_REMINDERS = 3


class Status(enum.StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"  # closed unanswered


@dataclass
class FormState:
    respondent_id: str
    requested_at: dt.datetime | None
    last_prompted_at: dt.datetime | None  # the request or the latest reminder
    status: Status = Status.open
    reminders_sent: int = 0
    ratings: dict[str, int] | None = None
    free_text: str | None = None
    version: int | None = None  # the questionnaire version answered
    choices: dict[str, str] | None = None
    texts: dict[str, str] | None = None
    redacted_by: str | None = None  # the retention rule that erased the free text


def answers_subject(engagement_id: uuid.UUID | str, form: Form) -> str:
    """The key a submitted form's sealed answers are sealed with: the form's own, so a retention rule can erase
    one form's free text without erasing its expert; erasing the expert shreds these keys too. (Forms submitted
    before these keys were sealed with the expert's key: redacted, they are hidden, and readable in the history
    until the expert is erased.)"""
    return f"answers-{engagement_id}-{form.value}"


@dataclass(frozen=True)
class Answers:
    """A filled form: the questionnaire version answered, and the answers to its questions by kind."""

    version: int
    ratings: dict[str, int]
    choices: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # free-text questions' answers: sealed


class EngagementFeedback(Aggregate):
    stream_prefix = "feedback"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.forms: dict[Form, FormState] = {}
        self.completed = False

    @property
    def engagement_id(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def expert_id(self) -> str | None:
        """The data subject of every answer: the expert whose life situation a free text may reveal."""
        own = self.forms.get(Form.self_assessment)
        return own.respondent_id if own else None

    def respondent(self, form: Form) -> str | None:
        state = self.forms.get(form)
        return state.respondent_id if state else None

    def open_forms(self) -> list[Form]:
        return [form for form, state in self.forms.items() if state.status is Status.open]

    def request(self, expert_id: str, orderer_id: str, now: dt.datetime) -> None:
        """Ask both parties for their form; asking again (a redelivered delivery) changes nothing."""
        if self.forms:
            return
        for form, respondent_id in ((Form.self_assessment, expert_id), (Form.orderer_feedback, orderer_id)):
            self.record(FeedbackRequested(engagement_id=self.engagement_id, form=form,
                                          respondent_id=respondent_id, requested_at=now))

    def submit(self, form: Form, questions: tuple[Question, ...], answers: Answers, free_text: str | None) -> None:
        """File the form, its answers checked against ``questions``, the questionnaire version answered."""
        state = self.forms.get(form)
        if state is None:
            raise Conflict("feedback is requested when the engagement is delivered; "
                           f"engagement {self.id} has no {form.value} form yet")
        if state.status is Status.answered:
            raise Conflict(f"the {form.value} form of engagement {self.id} is already submitted")
        if state.status is Status.closed:
            raise Conflict(f"the {form.value} form of engagement {self.id} was closed unanswered")
        texts = {qid: text.strip() for qid, text in answers.texts.items() if text.strip()}
        check_answers(form, questions, answers.ratings, answers.choices, texts)
        text = (free_text or "").strip() or None
        if text is not None and len(text) > FREE_TEXT_MAX:
            raise invalid("free_text", f"is {len(text)} characters long", f"at most {FREE_TEXT_MAX} characters")
        self.record(FeedbackSubmitted.of(self.engagement_id, form, state.respondent_id, dict(answers.ratings), text,
                                         answers.version, answers.choices, texts))
        if all(other.status is Status.answered for other in self.forms.values()):
            self.record(FeedbackCompleted(engagement_id=self.engagement_id))

    def remind(self, now: dt.datetime, interval: dt.timedelta) -> None:
        """Remind of each form unanswered for ``interval`` since it was requested or last reminded of."""
        for form, state in self.forms.items():
            if state.status is not Status.open or state.reminders_sent >= MAX_REMINDERS:
                continue
            # A request recorded without a time cannot be timed; it is not reminded of rather than nagged.
            if state.last_prompted_at is None or now - state.last_prompted_at < interval:
                continue
            self.record(FeedbackReminderSent(engagement_id=self.engagement_id, form=form,
                                             respondent_id=state.respondent_id,
                                             reminder_number=state.reminders_sent + 1, sent_at=now))

    def close_unanswered(self) -> None:
        for form in self.open_forms():
            self.record(FeedbackClosedUnanswered(engagement_id=self.engagement_id, form=form))

    def redact(self, form: Form, rule: str) -> None:
        """Apply a retention rule to the form's free text (the caller shreds answers_subject)."""
        state = self.forms.get(form)
        if state is None or state.status is not Status.answered or state.redacted_by is not None:
            raise Conflict(f"the {form.value} form of engagement {self.id} has no free text to redact")
        self.record(FeedbackTextRedacted(engagement_id=self.engagement_id, form=form, rule=rule))

    def subject_of(self, event: DomainEvent) -> str | None:
        return answers_subject(self.id, event.form) if isinstance(event, FeedbackSubmitted) else None

    def when_FeedbackRequested(self, event: FeedbackRequested) -> None:
        self.forms[event.form] = FormState(event.respondent_id, event.requested_at, event.requested_at)

    def when_FeedbackReminderSent(self, event: FeedbackReminderSent) -> None:
        state = self.forms[event.form]
        state.reminders_sent = event.reminder_number
        state.last_prompted_at = event.sent_at

    def when_FeedbackSubmitted(self, event: FeedbackSubmitted) -> None:
        state = self.forms[event.form]
        state.status, state.ratings, state.free_text = Status.answered, event.answers(), event.free_text
        state.version, state.choices, state.texts = event.questionnaire_version, dict(event.choices), event.texts

    def when_FeedbackCompleted(self, _: FeedbackCompleted) -> None:
        self.completed = True

    def when_FeedbackClosedUnanswered(self, event: FeedbackClosedUnanswered) -> None:
        self.forms[event.form].status = Status.closed

    def when_FeedbackTextRedacted(self, event: FeedbackTextRedacted) -> None:
        state = self.forms[event.form]
        state.free_text, state.texts, state.redacted_by = None, None, event.rule

"""Events the feedback service publishes on ``kokemus.feedback.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from shared.events import DomainEvent, Personal


class Form(enum.StrEnum):
    self_assessment = "self_assessment"  # the expert's itsearvio
    orderer_feedback = "orderer_feedback"  # the orderer's palaute


class FeedbackRequested(DomainEvent):
    """The engagement was delivered: its respondent is asked to fill this form."""

    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    requested_at: dt.datetime | None = None  # the service's clock, from which reminders are timed


class FeedbackReminderSent(DomainEvent):
    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    reminder_number: int
    sent_at: dt.datetime | None = None  # the service's clock, from which the next reminder is timed


class FeedbackSubmitted(DomainEvent):
    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    ratings: dict[str, int]  # question id -> 1..5
    # May tell of the expert's health or life situation, whichever form it is on: sealed with the key of the
    # engagement's expert (the event's subject_id), so erasing the expert erases it.
    free_text: Personal = None


class FeedbackCompleted(DomainEvent):
    """Both forms of the engagement are in."""

    engagement_id: uuid.UUID


class FeedbackClosedUnanswered(DomainEvent):
    """The form will not be answered any more: the engagement was closed or cancelled, or its expert erased."""

    engagement_id: uuid.UUID
    form: Form

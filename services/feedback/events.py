"""Events the feedback service publishes on ``kokemus.feedback.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import enum
import uuid

from shared.events import DomainEvent, Personal


class Form(str, enum.Enum):
    self_assessment = "self_assessment"  # the expert's itsearvio
    orderer_feedback = "orderer_feedback"  # the orderer's palaute


class FeedbackRequested(DomainEvent):
    engagement_id: uuid.UUID
    form: Form
    respondent_id: str


class FeedbackReminderSent(DomainEvent):
    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    reminder_number: int


class FeedbackSubmitted(DomainEvent):
    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    ratings: dict[str, int]  # question id -> 1..5
    free_text: Personal = None  # may tell of health or life situation: sealed with the respondent's key


class FeedbackCompleted(DomainEvent):
    """Both forms of the engagement are in."""

    engagement_id: uuid.UUID


class FeedbackClosedUnanswered(DomainEvent):
    engagement_id: uuid.UUID
    form: Form

"""Events the feedback service publishes on ``kokemus.feedback.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import ClassVar

from pydantic import field_validator

from shared.events import DomainEvent, Payload, Personal, PersonalRatings
from shared.upcasting import upcaster

# Questions whose answer tells of the respondent's health (special-category data): their ratings travel sealed.
SEALED_QUESTIONS = frozenset({"own_wellbeing"})


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
    """A respondent filed their form. Version 2 keeps the answers to the questions of ``SEALED_QUESTIONS`` (the
    expert's own wellbeing) apart in ``sealed_ratings``, sealed with the expert's key."""

    schema_version: ClassVar[int] = 2

    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    ratings: dict[str, int]  # question id -> 1..5, the questions that tell nothing of the respondent's health
    sealed_ratings: PersonalRatings = None  # question id -> 1..5, the questions of SEALED_QUESTIONS
    # May tell of the expert's health or life situation, whichever form it is on: sealed with the key of the
    # engagement's expert (the event's subject_id), so erasing the expert erases it.
    free_text: Personal = None

    @field_validator("ratings")
    @classmethod
    def _none_of_the_sealed_questions(cls, ratings: dict[str, int]) -> dict[str, int]:
        clear = sorted(SEALED_QUESTIONS.intersection(ratings))
        if clear:
            raise ValueError(f"{', '.join(clear)} travel sealed, in sealed_ratings")
        return ratings

    @classmethod
    def of(cls, engagement_id: uuid.UUID, form: Form, respondent_id: str, answers: dict[str, int],
           free_text: str | None) -> FeedbackSubmitted:
        """The event of a filed form, its answers split into the clear and the sealed ones."""
        sealed = {question: value for question, value in answers.items() if question in SEALED_QUESTIONS}
        return cls(engagement_id=engagement_id, form=form, respondent_id=respondent_id,
                   ratings={q: v for q, v in answers.items() if q not in SEALED_QUESTIONS},
                   sealed_ratings=sealed or None, free_text=free_text)

    def answers(self) -> dict[str, int]:
        """Every rating of the form (the sealed ones only while the expert's key exists)."""
        return {**self.ratings, **(self.sealed_ratings or {})}


@upcaster(FeedbackSubmitted, from_version=1)
def _sealed_ratings_apart(payload: Payload) -> Payload:
    # Version 1 carried every rating in clear, in one dict.
    ratings = dict(payload.get("ratings") or {})
    sealed = {question: ratings.pop(question) for question in sorted(SEALED_QUESTIONS) if question in ratings}
    return {**payload, "ratings": ratings, "sealed_ratings": sealed or None}


class FeedbackCompleted(DomainEvent):
    """Both forms of the engagement are in."""

    engagement_id: uuid.UUID


class FeedbackClosedUnanswered(DomainEvent):
    """The form will not be answered any more: the engagement was closed or cancelled, or its expert erased."""

    engagement_id: uuid.UUID
    form: Form

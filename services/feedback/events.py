"""Events the feedback service publishes on ``kokemus.feedback.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.events import PERSONAL, DomainEvent, Payload, Personal, PersonalRatings
from shared.upcasting import upcaster

# Questions whose answer tells of the respondent's health (special-category data): their ratings travel sealed.
SEALED_QUESTIONS = frozenset({"own_wellbeing"})
# The answers to a questionnaire's free-text questions (question id -> text): sealed like the free text.
PersonalTexts = Annotated[dict[str, str] | None, PERSONAL]

QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Form(enum.StrEnum):
    self_assessment = "self_assessment"  # the expert's itsearvio
    orderer_feedback = "orderer_feedback"  # the orderer's palaute


class Dimension(enum.StrEnum):
    """What both forms ask, each from its side, so self-assessment and orderer feedback can be set side by side."""

    preparation = "preparation"
    experience_heard = "experience_heard"  # how the lived experience was heard
    usefulness = "usefulness"
    cooperation = "cooperation"
    own_wellbeing = "own_wellbeing"  # the expert's own wellbeing afterwards (special-category: sealed)


class QuestionKind(enum.StrEnum):
    scale = "scale"  # 1 (not at all) to 5 (fully)
    choice = "choice"  # one of the question's options
    text = "text"  # free text, optional, sealed


class Texts(BaseModel):
    """A text in each of the county's languages: Finnish, Swedish and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fi: Text
    sv: Text
    en: Text


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: QuestionId
    text: Texts


class Question(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: QuestionId
    kind: QuestionKind
    text: Texts
    dimension: Dimension | None = None  # the shared dimension this question asks, if any
    options: tuple[Option, ...] = Field((), max_length=12)  # the choices of a choice question


class QuestionnaireDefined(DomainEvent):
    """The coordinator defined a new version of a form's questionnaire; answers to older versions still read
    against the version they answered."""

    form: Form
    version: int
    questions: tuple[Question, ...]


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
    expert's own wellbeing) apart in ``sealed_ratings``, sealed with the expert's key. Version 3 names the
    questionnaire version answered, and carries its choice answers and its free-text answers (sealed)."""

    schema_version: ClassVar[int] = 3

    engagement_id: uuid.UUID
    form: Form
    respondent_id: str
    ratings: dict[str, int]  # question id -> 1..5, the questions that tell nothing of the respondent's health
    sealed_ratings: PersonalRatings = None  # question id -> 1..5, the questions of SEALED_QUESTIONS
    # May tell of the expert's health or life situation, whichever form it is on: sealed with the key of the
    # engagement's expert (the event's subject_id), so erasing the expert erases it.
    free_text: Personal = None
    questionnaire_version: int = 1
    choices: dict[str, str] = Field(default_factory=dict)  # question id -> option id
    texts: PersonalTexts = None  # question id -> the answer to a free-text question, sealed like free_text

    @field_validator("ratings")
    @classmethod
    def _none_of_the_sealed_questions(cls, ratings: dict[str, int]) -> dict[str, int]:
        clear = sorted(SEALED_QUESTIONS.intersection(ratings))
        if clear:
            raise ValueError(f"{', '.join(clear)} travel sealed, in sealed_ratings")
        return ratings

    @classmethod
    def of(cls, engagement_id: uuid.UUID, form: Form, respondent_id: str, answers: dict[str, int],
           free_text: str | None, version: int = 1, choices: dict[str, str] | None = None,
           texts: dict[str, str] | None = None) -> FeedbackSubmitted:
        """The event of a filed form, its answers split into the clear and the sealed ones."""
        sealed = {question: value for question, value in answers.items() if question in SEALED_QUESTIONS}
        return cls(engagement_id=engagement_id, form=form, respondent_id=respondent_id,
                   ratings={q: v for q, v in answers.items() if q not in SEALED_QUESTIONS},
                   sealed_ratings=sealed or None, free_text=free_text, questionnaire_version=version,
                   choices=dict(choices or {}), texts=dict(texts) if texts else None)

    def answers(self) -> dict[str, int]:
        """Every rating of the form (the sealed ones only while the expert's key exists)."""
        return {**self.ratings, **(self.sealed_ratings or {})}


@upcaster(FeedbackSubmitted, from_version=1)
def _sealed_ratings_apart(payload: Payload) -> Payload:
    # Version 1 carried every rating in clear, in one dict.
    ratings = dict(payload.get("ratings") or {})
    sealed = {question: ratings.pop(question) for question in sorted(SEALED_QUESTIONS) if question in ratings}
    return {**payload, "ratings": ratings, "sealed_ratings": sealed or None}


@upcaster(FeedbackSubmitted, from_version=2)
def _answered_version_one(payload: Payload) -> Payload:
    # Before versioned questionnaires every form answered the seeded questions, version 1.
    return {**payload, "questionnaire_version": 1, "choices": {}, "texts": None}


class FeedbackCompleted(DomainEvent):
    """Both forms of the engagement are in."""

    engagement_id: uuid.UUID


class FeedbackClosedUnanswered(DomainEvent):
    """The form will not be answered any more: the engagement was closed or cancelled, or its expert erased."""

    engagement_id: uuid.UUID
    form: Form


class FeedbackTextRedacted(DomainEvent):
    """The retention rule ``rule`` was applied to a submitted form: its free text and free-text answers (and what
    else the submission sealed) are erased, their key shredded. The ratings and choices stay for the report."""

    engagement_id: uuid.UUID
    form: Form
    rule: str


class WellbeingFollowUpRaised(DomainEvent):
    """The expert answered their own wellbeing low after an assignment: their organization's contact person is
    asked to get in touch (the organization supports its experts). Which expert, and after which engagement,
    travel sealed: with them the event tells of the expert's health. The follow-up has its own stream and its
    own key (its subject is ``wellbeing-<follow_up_id>``, shredded with the expert's erasure), so that nothing
    in clear, the envelope included, names the expert or the engagement."""

    follow_up_id: uuid.UUID
    organization_id: str
    expert_id: Personal
    engagement_id: Personal
    raised_at: dt.datetime


class WellbeingFollowUpHandled(DomainEvent):
    """The organization's contact person got in touch with the expert: the follow-up leaves the list."""

    follow_up_id: uuid.UUID
    organization_id: str
    handled_at: dt.datetime

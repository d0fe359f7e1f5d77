"""Commands and queries the feedback service answers on ``kokemus.feedback.cmd.*`` and ``kokemus.feedback.query.*``."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictInt, StringConstraints

from services.feedback.domain import FREE_TEXT_MAX
from services.feedback.events import Form, Question
from services.feedback.questionnaire import TEXT_MAX
from shared.commands import Command, Request
from shared.fields import Day, Tag


class SubmitFeedback(Command):
    engagement_id: uuid.UUID
    form: Form
    ratings: dict[Tag, StrictInt] = Field(max_length=40,
                                          description="question id -> 1..5; see the feedback_questions query")
    choices: dict[Tag, Tag] = Field({}, max_length=40, description="question id -> option id of a choice question")
    texts: dict[Tag, Annotated[str, StringConstraints(max_length=TEXT_MAX)]] = Field(
        {}, max_length=40, description="question id -> the answer to a free-text question")
    free_text: str | None = Field(None, max_length=FREE_TEXT_MAX)
    questionnaire_version: StrictInt | None = Field(None, ge=1, description="the version shown; the current one "
                                                                            "when not given")


class DefineQuestionnaire(Command):
    """The next version of a form's questionnaire (coordinator)."""

    form: Form
    questions: tuple[Question, ...] = Field(min_length=1, max_length=40)


class GetFeedback(Request):
    engagement_id: uuid.UUID


class MyFeedback(Request):
    """The signed-in respondent's own forms, every engagement's; the body names no one."""


class FollowUpReport(Request):
    """A period of Finnish calendar days, both ends included."""

    # "from" is a Python keyword: the field is from_ in code and "from" on the wire.
    model_config = ConfigDict(populate_by_name=True)

    from_: Day = Field(alias="from")
    until: Day
    format: Literal["json", "csv"] = Field("json", description="csv: the figures as CSV text, in the answer's csv")


class FeedbackQuestions(Request):
    form: Form | None = None
    version: StrictInt | None = Field(None, ge=1, description="the current version when not given")


class WellbeingFollowUps(Request):
    """The wellbeing follow-ups of the asking contact person's organization, not yet handled."""


class HandleWellbeingFollowUp(Command):
    """The contact person got in touch with the expert."""

    follow_up_id: uuid.UUID

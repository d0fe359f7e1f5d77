"""Commands and queries the feedback service answers on ``kokemus.feedback.cmd.*`` and ``kokemus.feedback.query.*``."""

from __future__ import annotations

import uuid

from pydantic import ConfigDict, Field, StrictInt

from services.feedback.domain import FREE_TEXT_MAX
from services.feedback.events import Form
from shared.commands import Command, Request
from shared.fields import Day, Tag


class SubmitFeedback(Command):
    engagement_id: uuid.UUID
    form: Form
    ratings: dict[Tag, StrictInt] = Field(max_length=20,
                                          description="question id -> 1..5; see the feedback_questions query")
    free_text: str | None = Field(None, max_length=FREE_TEXT_MAX)


class GetFeedback(Request):
    engagement_id: uuid.UUID


class FollowUpReport(Request):
    """A period of Finnish calendar days, both ends included."""

    # "from" is a Python keyword: the field is from_ in code and "from" on the wire.
    model_config = ConfigDict(populate_by_name=True)

    from_: Day = Field(alias="from")
    until: Day


class FeedbackQuestions(Request):
    form: Form | None = None

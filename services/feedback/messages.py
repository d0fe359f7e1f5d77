"""Commands and queries the feedback service answers on ``kokemus.feedback.cmd.*`` and ``kokemus.feedback.query.*``."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import ConfigDict, Field, StrictInt

from services.feedback.domain import FREE_TEXT_MAX
from services.feedback.events import Form
from shared.commands import Command, Request


class SubmitFeedback(Command):
    engagement_id: uuid.UUID
    form: Form
    ratings: dict[str, StrictInt] = Field(description="question id -> 1..5; see the feedback_questions query")
    free_text: str | None = Field(None, max_length=FREE_TEXT_MAX)


class GetFeedback(Request):
    engagement_id: uuid.UUID


class FollowUpReport(Request):
    """A period of Finnish calendar days, both ends included."""

    # "from" is a Python keyword: the field is from_ in code and "from" on the wire.
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from")
    until: dt.date


class FeedbackQuestions(Request):
    form: Form | None = None

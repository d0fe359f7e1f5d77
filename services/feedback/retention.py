"""The feedback service's retention rule, applied by a background job: a submitted form's free text (and its
answers to free-text questions) is erased FREE_TEXT_RETENTION_YEARS after the form was requested (the engagement's
delivery). Each application is a FeedbackTextRedacted naming the rule, and the form's own key is shredded; the
ratings and choices stay, so the follow-up report keeps its counts and averages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from services.feedback.domain import EngagementFeedback, answers_subject
from shared.aggregate import Metadata
from shared.events import SYSTEM
from shared.eventstore.port import ConcurrencyConflict

if TYPE_CHECKING:
    from services.feedback.service import Deps

# Long enough for the follow-up and evaluation of a period and its complaints; the county may shorten it.
FREE_TEXT_RETENTION_YEARS = 3
RETENTION = dt.timedelta(days=365 * FREE_TEXT_RETENTION_YEARS + 1)  # a leap day included
RULE = f"free-text feedback kept {FREE_TEXT_RETENTION_YEARS} years from the engagement's delivery"
RETENTION_CHECK_SECONDS = 24 * 60 * 60  # daily: the rule counts in years


async def apply_retention(deps: Deps) -> int:
    """Erase the free text of every form the rule covers today; how many forms were (a background job)."""
    redacted = 0
    for engagement_id, form in await deps.views.texts_due(deps.clock.now() - RETENTION):
        try:
            async with deps.uow.begin() as session:
                feedback = await session.load(EngagementFeedback, str(engagement_id))
                state = feedback.forms.get(form)
                if state is None or state.redacted_by is not None:
                    continue
                # Every replica runs this job: the same form at the same version gets the same event ids.
                meta = Metadata(actor=SYSTEM, engagement_id=engagement_id, command_id=uuid.uuid5(
                    engagement_id, f"retention:{form.value}@{feedback.version}"))
                feedback.redact(form, RULE)
                await session.save(feedback, meta)
                await session.shred(answers_subject(engagement_id, form))
            redacted += 1
        except ConcurrencyConflict:
            continue  # another replica applied it meanwhile
    return redacted

"""The feedback service's handlers: commands and queries, the orders and registry events it follows, and the
reminder job.

Each handler takes its message first and its dependencies as one :class:`Deps`; an event handler also gets
the consumer's :class:`HandlerContext`, whose transaction its effects join. The tables at the end of the
module map names on the bus to handlers.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.aggregate import Metadata
from shared.commands import require_role
from shared.errors import Forbidden, invalid
from shared.events import SYSTEM, RecordedEvent, Role
from shared.eventstore.port import ConcurrencyConflict, EventStore
from shared.messaging.consumer import HandlerContext
from services.feedback import messages as m
from services.feedback.domain import QUESTIONS, SCALE, EngagementFeedback, FormState
from services.feedback.events import Form
from services.feedback.projections import FeedbackView, Parties
from services.feedback.report import follow_up, period_bounds
# Importing the sources' events registers their types, so consumed messages decode to typed payloads.
from services.orders import events as orders
from services.registry import events as registry

log = logging.getLogger(__name__)

DEFAULT_REMINDER_INTERVAL = dt.timedelta(days=3)

# Who answers each form: the expert their self-assessment, the orderer their feedback.
RESPONDENT_ROLE = {Form.self_assessment: Role.expert, Form.orderer_feedback: Role.orderer}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Deps:
    uow: Any  # UnitOfWork, or a unit of work over the in-memory store in tests
    store: EventStore
    view: FeedbackView
    now: Callable[[], dt.datetime] = field(default=utc_now)


class EngagementNotSeen(Exception):
    """An engagement event arrived before the engagement's EngagementOpened was handled."""


# -- commands --------------------------------------------------------------------------------------------


async def submit_feedback(cmd: m.SubmitFeedback, deps: Deps) -> dict[str, Any]:
    """File a delivered engagement's self-assessment (its expert) or feedback (its orderer), once."""
    require_role(cmd.actor, RESPONDENT_ROLE[cmd.form])
    async with deps.uow.begin() as session:
        feedback = await session.load(EngagementFeedback, str(cmd.engagement_id), must_exist=False)
        respondent = feedback.respondent(cmd.form)
        if respondent is not None and respondent != cmd.actor.id:
            raise Forbidden(f"only the engagement's {RESPONDENT_ROLE[cmd.form].value} may file its {cmd.form.value} form")
        feedback.submit(cmd.form, dict(cmd.ratings), cmd.free_text)
        # The expert is the data subject of both forms: either free text may tell of their life situation.
        await session.save(feedback, Metadata(actor=cmd.actor, command_id=cmd.command_id,
                                              engagement_id=cmd.engagement_id, subject_id=feedback.expert_id))
    return {"engagement_id": str(cmd.engagement_id), "form": cmd.form.value, "completed": feedback.completed}


# -- queries ---------------------------------------------------------------------------------------------

def _form_view(form: Form, state: FormState) -> dict[str, Any]:
    return {
        "form": form.value,
        "respondent_id": state.respondent_id,
        "status": state.status.value,
        "requested_at": state.requested_at.isoformat() if state.requested_at else None,
        "reminders_sent": state.reminders_sent,
        "ratings": state.ratings,
        "free_text": state.free_text,  # None once the expert is erased
    }


async def get_feedback(query: m.GetFeedback, deps: Deps) -> dict[str, Any]:
    """An engagement's feedback: both forms for a coordinator, their own form for each respondent."""
    async with deps.uow.begin() as session:
        feedback = await session.load(EngagementFeedback, str(query.engagement_id),
                                      what="feedback requested for engagement")
    actor = query.actor
    visible = [form for form, state in feedback.forms.items()
               if actor.role is Role.coordinator
               or (actor.role is RESPONDENT_ROLE[form] and actor.id == state.respondent_id)]
    if not visible:
        raise Forbidden("only a coordinator or the form's respondent may see an engagement's feedback")
    return {"engagement_id": str(query.engagement_id), "completed": feedback.completed,
            "forms": {form.value: _form_view(form, feedback.forms[form]) for form in visible}}


async def follow_up_report(query: m.FollowUpReport, deps: Deps) -> dict[str, Any]:
    """Counts, answer rates and average ratings of the forms requested in a period (coordinator); no free
    text and no person in it."""
    require_role(query.actor, Role.coordinator)
    if query.until < query.from_:
        raise invalid("until", "is before from", f"a date on or after {query.from_}")
    records = await deps.view.forms_requested(*period_bounds(query.from_, query.until))
    return follow_up(records, query.from_, query.until)


async def feedback_questions(query: m.FeedbackQuestions, deps: Deps) -> dict[str, Any]:
    """The questions of each form (or one), each answered on a scale of 1 to 5."""
    forms = [query.form] if query.form else list(QUESTIONS)
    return {"scale": [SCALE.start, SCALE.stop - 1],
            "forms": {form.value: [{"id": qid, "text": text} for qid, text in QUESTIONS[form].items()]
                      for form in forms}}


# -- events of the orders and registry services ----------------------------------------------------------

def _caused_by(event: RecordedEvent, engagement_id: uuid.UUID) -> Metadata:
    return Metadata.caused_by(event, actor=SYSTEM, engagement_id=engagement_id)


async def on_engagement_opened(event: RecordedEvent, ctx: HandlerContext, deps: Deps) -> None:
    e: orders.EngagementOpened = event.payload  # type: ignore[assignment]
    await deps.view.remember_engagement(e.engagement_id, Parties(e.expert_id, e.orderer_id), ctx.connection)


async def on_delivery_confirmed(event: RecordedEvent, ctx: HandlerContext, deps: Deps) -> None:
    e: orders.DeliveryConfirmed = event.payload  # type: ignore[assignment]
    parties = await deps.view.parties(e.engagement_id, ctx.connection)
    if parties is None:
        # The orders stream carries an engagement's opening before its delivery, so this happens only while
        # the opening's own handling is being retried: raising retries this one after it (with backoff),
        # and a case that never resolves ends in the dead letters, where a person sees it.
        raise EngagementNotSeen(f"delivery of engagement {e.engagement_id} before its EngagementOpened")
    if parties.cancelled:
        return
    async with deps.uow.begin(connection=ctx.connection) as session:
        feedback = await session.load(EngagementFeedback, str(e.engagement_id), must_exist=False)
        feedback.request(parties.expert_id, parties.orderer_id, deps.now())
        await session.save(feedback, _caused_by(event, e.engagement_id))


async def _close_open_forms(event: RecordedEvent, engagement_id: uuid.UUID, ctx: HandlerContext, deps: Deps) -> None:
    async with deps.uow.begin(connection=ctx.connection) as session:
        feedback = await session.load(EngagementFeedback, str(engagement_id), must_exist=False)
        feedback.close_unanswered()
        await session.save(feedback, _caused_by(event, engagement_id))


async def on_engagement_cancelled(event: RecordedEvent, ctx: HandlerContext, deps: Deps) -> None:
    e: orders.EngagementCancelled = event.payload  # type: ignore[assignment]
    await deps.view.mark_cancelled(e.engagement_id, ctx.connection)
    await _close_open_forms(event, e.engagement_id, ctx, deps)


async def on_engagement_closed(event: RecordedEvent, ctx: HandlerContext, deps: Deps) -> None:
    e: orders.EngagementClosed = event.payload  # type: ignore[assignment]
    await _close_open_forms(event, e.engagement_id, ctx, deps)


async def on_expert_erased(event: RecordedEvent, ctx: HandlerContext, deps: Deps) -> None:
    """Shred this service's key of the expert, so every free text about them reads as erased; and close
    their open forms, as nothing personal can be recorded about them any more and nobody is reminded."""
    e: registry.ExpertErased = event.payload  # type: ignore[assignment]
    await deps.store.shred(e.expert_id, connection=ctx.connection)
    for engagement_id in await deps.view.engagements_of(e.expert_id, ctx.connection):
        await _close_open_forms(event, engagement_id, ctx, deps)


# -- the reminder job ------------------------------------------------------------------------------------

class Reminders:
    """Reminds each respondent of an open form once ``interval`` has passed since it was requested or last
    reminded of, at most MAX_REMINDERS times. Run on any schedule, and on every replica: two replicas that
    remind of the same engagement at once make the same events, and the store keeps them once."""

    def __init__(self, deps: Deps, interval: dt.timedelta = DEFAULT_REMINDER_INTERVAL) -> None:
        self.deps = deps
        self.interval = interval

    async def run_once(self) -> int:
        """Record the reminders due now; return how many."""
        now = self.deps.now()
        sent = 0
        for engagement_id in await self.deps.view.due_for_reminder(now - self.interval):
            try:
                sent += await self._remind(engagement_id, now)
            except ConcurrencyConflict as conflict:  # answered or reminded meanwhile: the next run sees it
                log.info("reminders of engagement %s skipped this time: %s", engagement_id, conflict)
        return sent

    async def _remind(self, engagement_id: uuid.UUID, now: dt.datetime) -> int:
        async with self.deps.uow.begin() as session:
            feedback = await session.load(EngagementFeedback, str(engagement_id))
            loaded_at = feedback.version
            feedback.remind(now, self.interval)
            # Named by the version it follows, so a second replica's identical reminders are the same events.
            command_id = uuid.uuid5(engagement_id, f"reminders-after-{loaded_at}")
            recorded = await session.save(feedback, Metadata(actor=SYSTEM, command_id=command_id,
                                                             engagement_id=engagement_id))
        return len(recorded)


COMMANDS = {
    "submit_feedback": (m.SubmitFeedback, submit_feedback),
}

QUERIES = {
    "get_feedback": (m.GetFeedback, get_feedback),
    "follow_up_report": (m.FollowUpReport, follow_up_report),
    "feedback_questions": (m.FeedbackQuestions, feedback_questions),
}

# Source service -> event type -> handler.
EVENT_HANDLERS = {
    "orders": {
        "EngagementOpened": on_engagement_opened,
        "DeliveryConfirmed": on_delivery_confirmed,
        "EngagementCancelled": on_engagement_cancelled,
        "EngagementClosed": on_engagement_closed,
    },
    "registry": {
        "ExpertErased": on_expert_erased,
    },
}

__all__ = ["COMMANDS", "EVENT_HANDLERS", "QUERIES", "Deps", "Reminders"]

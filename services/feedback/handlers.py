"""The feedback service's handlers: commands and queries, the orders and registry events it follows, and the
reminder job.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.feedback.service.Deps`. The tables at the end map names on the bus, and each
source's event classes, to handlers.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from services.contracts import events as contracts
from services.feedback import messages as m
from services.feedback.domain import Answers, EngagementFeedback, FormState
from services.feedback.events import Form
from services.feedback.export import as_csv
from services.feedback.questionnaire import SCALE, Questionnaire
from services.feedback.report import report_of
from services.feedback.sources import on_expert_listed, on_fee_approved, on_fee_paid
from services.feedback.views import Parties
from services.feedback.wellbeing import is_low
from services.feedback.wellbeing_handlers import (
    forget_follow_ups,
    handle_wellbeing_follow_up,
    on_expert_joined,
    on_expert_left,
    on_expert_registered,
    raise_follow_ups,
    wellbeing_follow_ups,
)
from services.orders import events as orders
from services.registry import events as registry
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Forbidden, invalid
from shared.events import SYSTEM, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, Commands, Consumed, EventContext, Queries, QueryContext

if TYPE_CHECKING:
    from services.feedback.service import Deps

log = logging.getLogger(__name__)

# Who answers each form: the expert their self-assessment, the orderer their feedback.
RESPONDENT_ROLE = {Form.self_assessment: Role.expert, Form.orderer_feedback: Role.orderer}


class EngagementNotSeen(Exception):
    """An engagement event arrived before the engagement's EngagementOpened was handled."""


# -- commands --------------------------------------------------------------------------------------------


async def submit_feedback(cmd: m.SubmitFeedback, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """File a delivered engagement's self-assessment (its expert) or feedback (its orderer), once."""
    ctx.require_role(RESPONDENT_ROLE[cmd.form])
    feedback = await ctx.session.load(EngagementFeedback, str(cmd.engagement_id), must_exist=False)
    respondent = feedback.respondent(cmd.form)
    if respondent is not None and respondent != ctx.actor.id:
        raise Forbidden(f"only the engagement's {RESPONDENT_ROLE[cmd.form].value} may file its {cmd.form.value} form")
    questionnaire = await ctx.session.load(Questionnaire, cmd.form.value, must_exist=False)
    version = cmd.questionnaire_version or questionnaire.current
    if version not in questionnaire.versions:
        raise invalid("questionnaire_version", f"the {cmd.form.value} questionnaire has no version {version}",
                      f"a version from 1 to {questionnaire.current}")
    answers = Answers(version, dict(cmd.ratings), dict(cmd.choices), dict(cmd.texts))
    feedback.submit(cmd.form, questionnaire.questions(version), answers, cmd.free_text)
    # The expert is the data subject of both forms: either free text may tell of their life situation.
    await ctx.session.save(feedback, ctx.meta(engagement_id=cmd.engagement_id, subject_id=feedback.expert_id))
    if is_low(cmd.form, answers.ratings) and feedback.expert_id is not None:
        await raise_follow_ups(ctx, deps, cmd.engagement_id, feedback.expert_id)
    return {"engagement_id": str(cmd.engagement_id), "form": cmd.form.value, "completed": feedback.completed,
            "questionnaire_version": version}


async def define_questionnaire(cmd: m.DefineQuestionnaire, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Make the questions the next version of the form's questionnaire (coordinator); answers to earlier
    versions keep reading against theirs."""
    ctx.require_role(Role.coordinator)
    questionnaire = await ctx.session.load(Questionnaire, cmd.form.value, must_exist=False)
    version = questionnaire.define(tuple(cmd.questions))
    await ctx.session.save(questionnaire, ctx.meta())
    return {"form": cmd.form.value, "version": version}


# -- queries ---------------------------------------------------------------------------------------------

def _form_view(form: Form, state: FormState) -> dict[str, Any]:
    return {
        "form": form.value,
        "respondent_id": state.respondent_id,
        "status": state.status.value,
        "requested_at": state.requested_at.isoformat() if state.requested_at else None,
        "reminders_sent": state.reminders_sent,
        "questionnaire_version": state.version,
        "ratings": state.ratings,
        "choices": state.choices,
        "texts": state.texts,  # None once the expert is erased
        "free_text": state.free_text,  # None once the expert is erased
    }


async def get_feedback(query: m.GetFeedback, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An engagement's feedback: both forms for a coordinator, their own form for each respondent."""
    feedback = await deps.uow.load(EngagementFeedback, str(query.engagement_id),
                                  what="feedback requested for engagement")
    actor = ctx.actor
    visible = [form for form, state in feedback.forms.items()
               if actor.role is Role.coordinator
               or (actor.role is RESPONDENT_ROLE[form] and actor.id == state.respondent_id)]
    if not visible:
        raise Forbidden("only a coordinator or the form's respondent may see an engagement's feedback")
    return {"engagement_id": str(query.engagement_id), "completed": feedback.completed,
            "forms": {form.value: _form_view(form, feedback.forms[form]) for form in visible}}


async def follow_up_report(query: m.FollowUpReport, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Counts, answer rates and average ratings of the forms requested in a period (coordinator); no free
    text and no person in it."""
    ctx.require_role(Role.coordinator)
    if query.until < query.from_:
        raise invalid("until", "is before from", f"a date on or after {query.from_}")
    cells = await deps.views.follow_up_cells(query.from_, query.until)
    dimensions = {form: (await deps.uow.load(Questionnaire, form.value, must_exist=False)).dimensions()
                  for form in Form}
    report = report_of(cells, query.from_, query.until, dimensions)
    return {"csv": as_csv(report)} if query.format == "csv" else report


async def feedback_questions(query: m.FeedbackQuestions, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The questions of each form (or one), in the current version or the one asked for, with their texts in
    Finnish, Swedish and English; a scale question is answered from 1 to 5."""
    forms = [query.form] if query.form else list(Form)
    answer: dict[str, Any] = {"scale": [SCALE.start, SCALE.stop - 1], "forms": {}, "versions": {}}
    for form in forms:
        questionnaire = await deps.uow.load(Questionnaire, form.value, must_exist=False)
        if query.version is not None and query.version not in questionnaire.versions:
            raise invalid("version", f"the {form.value} questionnaire has no version {query.version}",
                          f"a version from 1 to {questionnaire.current}")
        version = query.version or questionnaire.current
        answer["versions"][form.value] = version
        answer["forms"][form.value] = [question.model_dump(mode="json", exclude_defaults=True) | {
            "kind": question.kind.value} for question in questionnaire.questions(version)]
    return answer


# -- events of the orders and registry services ----------------------------------------------------------

async def on_engagement_opened(event: Envelope[orders.EngagementOpened], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    parties = Parties(e.expert_id, e.orderer_id, task_type=e.task_type.value, order_id=e.order_id)
    await deps.views.remember_engagement(e.engagement_id, parties, ctx.session.connection)


async def on_order_placed(event: Envelope[orders.OrderPlaced], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_order(e.order_id, e.county_service, ctx.session.connection)


async def on_delivery_confirmed(event: Envelope[orders.DeliveryConfirmed], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    parties = await deps.views.parties(e.engagement_id, ctx.session.connection)
    if parties is None:
        # The orders stream carries an engagement's opening before its delivery, so this happens only while
        # the opening's own handling is being retried: raising retries this one after it (with backoff),
        # and a case that never resolves ends in the dead letters, where a person sees it.
        raise EngagementNotSeen(f"delivery of engagement {e.engagement_id} before its EngagementOpened")
    await deps.views.record_hours(e.engagement_id, e.actual_hours, ctx.session.connection)
    if parties.cancelled:
        return
    feedback = await ctx.session.load(EngagementFeedback, str(e.engagement_id), must_exist=False)
    feedback.request(parties.expert_id, parties.orderer_id, deps.clock.now())
    await ctx.session.save(feedback, ctx.meta(engagement_id=e.engagement_id))


async def _close_open_forms(ctx: EventContext, engagement_id: uuid.UUID) -> None:
    feedback = await ctx.session.load(EngagementFeedback, str(engagement_id), must_exist=False)
    feedback.close_unanswered()
    await ctx.session.save(feedback, ctx.meta(engagement_id=engagement_id))


async def on_engagement_cancelled(event: Envelope[orders.EngagementCancelled], ctx: EventContext, deps: Deps) -> None:
    await deps.views.mark_cancelled(event.payload.engagement_id, ctx.session.connection)
    await _close_open_forms(ctx, event.payload.engagement_id)


async def on_engagement_closed(event: Envelope[orders.EngagementClosed], ctx: EventContext, deps: Deps) -> None:
    await _close_open_forms(ctx, event.payload.engagement_id)


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    """Shred this service's key of the expert, so every free text about them reads as erased; and close
    their open forms, as nothing personal can be recorded about them any more and nobody is reminded."""
    expert_id = event.payload.expert_id
    await ctx.session.shred(expert_id)
    await deps.views.forget_sealed_answers(expert_id, ctx.session.connection)
    await forget_follow_ups(ctx, deps, expert_id)
    for engagement_id in await deps.views.engagements_of(expert_id, ctx.session.connection):
        await _close_open_forms(ctx, engagement_id)


# -- the reminder job ------------------------------------------------------------------------------------

async def send_reminders(deps: Deps) -> int:
    """Remind each respondent of an open form once the reminder interval has passed since it was requested
    or last reminded of, at most MAX_REMINDERS times; return how many reminders were recorded. Run on any
    schedule, and on every replica: two replicas that remind of the same engagement at once make the same
    events, and the store keeps them once."""
    now = deps.clock.now()
    sent = 0
    for engagement_id in await deps.views.due_for_reminder(now - deps.reminder_interval):
        try:
            sent += await _remind(deps, engagement_id, now)
        except ConcurrencyConflict as conflict:  # answered or reminded meanwhile: the next run sees it
            log.info("reminders of engagement %s skipped this time: %s", engagement_id, conflict)
    return sent


async def _remind(deps: Deps, engagement_id: uuid.UUID, now: dt.datetime) -> int:
    async with deps.uow.begin() as session:
        feedback = await session.load(EngagementFeedback, str(engagement_id))
        loaded_at = feedback.version
        feedback.remind(now, deps.reminder_interval)
        # Named by the version it follows, so a second replica's identical reminders are the same events.
        command_id = uuid.uuid5(engagement_id, f"reminders-after-{loaded_at}")
        recorded = await session.save(feedback, Metadata(actor=SYSTEM, command_id=command_id,
                                                         engagement_id=engagement_id))
    return len(recorded)


COMMANDS: Commands = {
    "submit_feedback": (m.SubmitFeedback, submit_feedback),
    "define_questionnaire": (m.DefineQuestionnaire, define_questionnaire),
    "handle_wellbeing_follow_up": (m.HandleWellbeingFollowUp, handle_wellbeing_follow_up),
}

QUERIES: Queries = {
    "get_feedback": (m.GetFeedback, get_feedback),
    "follow_up_report": (m.FollowUpReport, follow_up_report),
    "feedback_questions": (m.FeedbackQuestions, feedback_questions),
    "wellbeing_follow_ups": (m.WellbeingFollowUps, wellbeing_follow_ups),
}

CONSUMES: Consumed = {
    "orders": {
        orders.OrderPlaced: on_order_placed,
        orders.EngagementOpened: on_engagement_opened,
        orders.DeliveryConfirmed: on_delivery_confirmed,
        orders.EngagementCancelled: on_engagement_cancelled,
        orders.EngagementClosed: on_engagement_closed,
    },
    "contracts": {
        contracts.FeeApproved: on_fee_approved,
        contracts.FeePaid: on_fee_paid,
    },
    "registry": {
        registry.ExpertListed: on_expert_listed,
        registry.ExpertRegistered: on_expert_registered,
        registry.ExpertJoinedOrganization: on_expert_joined,
        registry.ExpertLeftOrganization: on_expert_left,
        registry.ExpertErased: on_expert_erased,
    },
}

"""Reactions to other services' events: the registry's facts kept in the views, and contracts' and
feedback's events moving engagements on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.orders.domain import Engagement
from services.registry import events as registry
from shared.envelope import Envelope
from shared.handling import EventContext

if TYPE_CHECKING:
    from services.orders.service import Deps


async def keep_registry_view(event: Envelope[Any], ctx: EventContext, deps: Deps) -> None:
    """A registry fact (a listing, credentials, an organization or its agreement) updates the views."""
    await deps.views.project(event, ctx.session.connection)


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    """The expert was erased: off the views, and this service's key of them shredded, so the reasons they gave
    (a declined offer, a cancelled engagement) read as erased here too."""
    await deps.views.project(event, ctx.session.connection)
    await ctx.session.shred(event.payload.expert_id)


async def _react(ctx: EventContext, engagement_id: uuid.UUID, change: Callable[[Engagement], None]) -> None:
    # Orders records an engagement before any other service can know of it, so a missing one is an
    # inconsistency: the error makes the message retry, then wait among the dead letters.
    engagement = await ctx.session.load(Engagement, str(engagement_id), what="engagement")
    change(engagement)
    await ctx.session.save(engagement, ctx.meta(engagement_id=engagement_id))


async def confirm_engagement(event: Envelope[contracts.ContractFullySigned], ctx: EventContext, deps: Deps) -> None:
    """Both parties signed the assignment contract: the engagement is confirmed."""
    signed = event.payload
    await _react(ctx, signed.engagement_id, lambda e: e.confirm(signed.contract_id))


async def note_fee_approved(event: Envelope[contracts.FeeApproved], ctx: EventContext, deps: Deps) -> None:
    """The fee is approved; with the feedback complete too, the engagement closes."""
    approved = event.payload
    await _react(ctx, approved.engagement_id, lambda e: e.note_fee_approved(approved.contract_id))


async def note_feedback_complete(event: Envelope[feedback.FeedbackCompleted], ctx: EventContext, deps: Deps) -> None:
    """Both feedback forms are in; with the fee approved too, the engagement closes."""
    await _react(ctx, event.payload.engagement_id, Engagement.note_feedback_complete)


async def note_form_in(event: Envelope[feedback.FeedbackSubmitted], ctx: EventContext, deps: Deps) -> None:
    """One feedback form is in: noted, so that an engagement closed without the other names the one missing."""
    form = event.payload.form.value
    await _react(ctx, event.payload.engagement_id, lambda e: e.note_form_in(form))


async def note_cancellation_terms(event: Envelope[contracts.ContractCancelled], ctx: EventContext, deps: Deps) -> None:
    """The cancelled engagement's contract says what is owed; with nothing owed, the engagement closes."""
    cancelled = event.payload
    await _react(ctx, cancelled.engagement_id,
                 lambda e: e.note_cancellation_terms(cancelled.contract_id, cancelled.fee_owed))


async def note_fee_paid(event: Envelope[contracts.FeePaid], ctx: EventContext, deps: Deps) -> None:
    """A payment of the fee a cancellation left owed settles the cancelled engagement, which closes. (A delivered
    engagement's payment changes nothing here: it closed on the fee's approval and the feedback.)"""
    paid = event.payload
    if paid.includes_fee:
        await _react(ctx, paid.engagement_id, lambda e: e.note_owed_fee_paid(paid.contract_id, paid.paid_on))

"""Whom the other services' events concern, and what to tell them.

Each consumed event names the people to tell, by the ids the events use for them (``expert_id``,
``orderer_id``, ``respondent_id``). For each whose contact book entry exists and who has not turned the kind
off, one :class:`NotificationQueued` is recorded, in the transaction that marks the event handled; its id
follows from the event's, the person and the kind, so a redelivered event queues nothing new. Nothing is sent
here: the sending job (sending.py) sends what was recorded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications.domain.contact import Contact
from services.notifications.domain.notification import Notification, notification_id
from services.notifications.events import MessageKind
from services.notifications.views import Parties
from services.orders import events as orders
from services.registry import events as registry
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.events import SYSTEM
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import EventContext
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.notifications.service import Deps


log = logging.getLogger(__name__)


class EngagementNotSeen(Exception):
    """An engagement's event came before the event naming its parties was handled (retried, then dead-lettered)."""


async def queue_message(session: Session, deps: Deps, person_id: str, kind: MessageKind, path: str,
                        source_event_id: uuid.UUID, meta: Metadata) -> bool:
    """Queue a message of ``kind`` to the person, linking to ``path``, if they want it; True if queued."""
    contact = await session.load(Contact, person_id, must_exist=False)
    if not contact.wants(kind):
        return False  # no entry, or the kind turned off: nothing about the person is recorded
    note = await session.load(Notification, str(notification_id(source_event_id, person_id, kind)),
                              must_exist=False)
    note.queue(person_id, kind, path, source_event_id, deps.clock.now())
    await session.save(note, meta)
    return True


async def remind(deps: Deps, person_id: str, kind: MessageKind, path: str, source_event_id: uuid.UUID,
                 mark: Callable[[Any], Awaitable[None]]) -> int:
    """A reminder (of a deadline a job found), queued in a transaction of its own with ``mark`` (what it was
    about, reminded of); 1 if queued. Its id follows from the source event, so replicas doing the same at once
    record it once: the loser's conflict is logged and nothing more."""
    try:
        async with deps.uow.begin() as session:
            meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(source_event_id, kind.value))
            queued = await queue_message(session, deps, person_id, kind, path, source_event_id, meta)
            await mark(session.connection)
    except ConcurrencyConflict as conflict:
        log.info("a reminder (%s) of %s skipped: %s", kind.value, source_event_id, conflict)
        return 0
    return int(queued)


async def tell(ctx: EventContext, deps: Deps, person_id: str, kind: MessageKind, path: str) -> bool:
    """Queue a message about the consumed event."""
    return await queue_message(ctx.session, deps, person_id, kind, path, ctx.cause.event_id, ctx.meta())


async def forget(session: Session, person_id: str, meta: Metadata) -> bool:
    """Erase the person's contact details: record it, and shred the key they were sealed with."""
    contact = await session.load(Contact, person_id, must_exist=False)
    subject = contact.forget()
    if subject is None:
        return False
    await session.save(contact, meta)
    await session.shred(subject)
    return True


async def _parties(deps: Deps, ctx: EventContext, engagement_id: uuid.UUID) -> Parties:
    parties = await deps.views.parties(engagement_id, ctx.session.connection)
    if parties is None:
        raise EngagementNotSeen(f"an event of engagement {engagement_id} before the one naming its parties")
    return parties


def engagement_page(engagement_id: uuid.UUID, page: str = "") -> str:
    return f"/engagements/{engagement_id}{page}"


# -- orders ------------------------------------------------------------------------------------------------

async def on_engagement_opened(event: Envelope[orders.EngagementOpened], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_parties(e.engagement_id, Parties(e.expert_id, e.orderer_id, e.order_id),
                                      ctx.session.connection)


async def on_engagement_cancelled(event: Envelope[orders.EngagementCancelled], ctx: EventContext,
                                  deps: Deps) -> None:
    """Tell the other side; the reason is not repeated (it may tell of a person's health)."""
    e = event.payload
    parties = await _parties(deps, ctx, e.engagement_id)
    await deps.views.mark_cancelled(e.engagement_id, ctx.session.connection)
    other = parties.expert_id if e.cancelled_by == "orderer" else parties.orderer_id
    await tell(ctx, deps, other, MessageKind.engagement_cancelled, engagement_page(e.engagement_id))


# -- contracts ---------------------------------------------------------------------------------------------

async def on_contract_drafted(event: Envelope[contracts.ContractDrafted], ctx: EventContext, deps: Deps) -> None:
    e = event.payload
    await deps.views.remember_parties(e.engagement_id, Parties(e.expert_id, e.orderer_id), ctx.session.connection)
    for person_id in (e.expert_id, e.orderer_id):
        await tell(ctx, deps, person_id, MessageKind.contract_to_sign, engagement_page(e.engagement_id))


async def on_expense_line_approved(event: Envelope[contracts.ExpenseLineApproved], ctx: EventContext,
                                   deps: Deps) -> None:
    parties = await _parties(deps, ctx, event.payload.engagement_id)
    await tell(ctx, deps, parties.expert_id, MessageKind.expense_approved,
               engagement_page(event.payload.engagement_id, "/expenses"))


async def on_expense_line_returned(event: Envelope[contracts.ExpenseLineReturned], ctx: EventContext,
                                   deps: Deps) -> None:
    parties = await _parties(deps, ctx, event.payload.engagement_id)
    await tell(ctx, deps, parties.expert_id, MessageKind.expense_returned,
               engagement_page(event.payload.engagement_id, "/expenses"))


# -- feedback ----------------------------------------------------------------------------------------------

async def on_feedback_requested(event: Envelope[feedback.FeedbackRequested], ctx: EventContext,
                                deps: Deps) -> None:
    e = event.payload
    await tell(ctx, deps, e.respondent_id, MessageKind.feedback_requested,
               engagement_page(e.engagement_id, "/feedback"))


async def on_feedback_reminder_sent(event: Envelope[feedback.FeedbackReminderSent], ctx: EventContext,
                                    deps: Deps) -> None:
    e = event.payload
    await tell(ctx, deps, e.respondent_id, MessageKind.feedback_reminder,
               engagement_page(e.engagement_id, "/feedback"))


async def on_fee_paid(event: Envelope[contracts.FeePaid], ctx: EventContext, deps: Deps) -> None:
    """The expert is told a payment was made, never how much."""
    parties = await _parties(deps, ctx, event.payload.engagement_id)
    await tell(ctx, deps, parties.expert_id, MessageKind.payment_made, engagement_page(event.payload.engagement_id))


# -- registry ----------------------------------------------------------------------------------------------

async def on_consent_expiry_reminded(event: Envelope[registry.ConsentExpiryReminded], ctx: EventContext,
                                     deps: Deps) -> None:
    await tell(ctx, deps, event.payload.expert_id, MessageKind.consent_expiring, "/expert")


async def on_profile_returned(event: Envelope[registry.ProfileReturned], ctx: EventContext, deps: Deps) -> None:
    """The reviewer's reason stays on the profile page (it is about the expert)."""
    await tell(ctx, deps, event.payload.expert_id, MessageKind.profile_returned, "/expert")


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    """The expert was erased: so are their contact details here."""
    await forget(ctx.session, event.payload.expert_id, ctx.meta())


async def on_orderer_erased(event: Envelope[registry.OrdererErased], ctx: EventContext, deps: Deps) -> None:
    """The orderer was erased: so are their contact details here."""
    await forget(ctx.session, event.payload.orderer_id, ctx.meta())


async def on_contact_person_erased(event: Envelope[registry.ContactPersonErased], ctx: EventContext,
                                   deps: Deps) -> None:
    """The contact person was erased: so are their contact details here."""
    await forget(ctx.session, event.payload.person_id, ctx.meta())

"""The notifications service's handlers: a person's contact book entry (commands and queries), the list of
undelivered messages, and the tables mapping names on the bus and the other services' events to handlers.
Which events tell whom is in reactions.py; the sending job in sending.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications import credentials, messages as m, offers, reactions as r
from services.notifications.domain.contact import Contact
from services.orders import events as orders
from services.registry import events as registry
from shared.errors import Forbidden
from shared.events import Actor, Role
from shared.handling import CommandContext, Commands, Consumed, Queries, QueryContext, require_role

if TYPE_CHECKING:
    from services.notifications.service import Deps

# Everyone who takes part in engagements keeps their own entry; a coordinator may keep an expert's.
PEOPLE = (Role.expert, Role.orderer, Role.organization_contact, Role.coordinator)


def whose(person_id: str | None, actor: Actor) -> str:
    """The person a request is about: the caller, or anyone when the caller is a coordinator."""
    require_role(actor, *PEOPLE)
    if person_id is None or person_id == actor.id:
        return actor.id
    if actor.role is not Role.coordinator:
        raise Forbidden("only a coordinator may see or change another person's contact details")
    return person_id


async def set_contact(cmd: m.SetContact, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Where and how the person is told: an e-mail address and/or a phone number, the channel, the language."""
    person_id = whose(cmd.person_id, ctx.actor)
    contact = await ctx.session.load(Contact, person_id, must_exist=False)
    contact.set_details(cmd.email, cmd.phone, cmd.language, cmd.channel)
    await ctx.session.save(contact, ctx.meta())
    # No address in the reply: replies are kept for retried commands, and the address lives sealed only.
    return {"person_id": person_id, "channel": cmd.channel.value, "language": cmd.language.value}


async def mute_kinds(cmd: m.MuteKinds, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Turn kinds of message off (the whole list; the required kinds cannot be)."""
    person_id = whose(cmd.person_id, ctx.actor)
    contact = await ctx.session.load(Contact, person_id, must_exist=False)
    contact.set_muted(list(cmd.muted))
    await ctx.session.save(contact, ctx.meta())
    return {"person_id": person_id, "muted": sorted(kind.value for kind in contact.muted)}


async def forget_contact(cmd: m.ForgetContact, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase the person's contact details (their key is shredded); nothing is sent to them until they give
    details again."""
    person_id = whose(cmd.person_id, ctx.actor)
    erased = await r.forget(ctx.session, person_id, ctx.meta())
    return {"person_id": person_id, "erased": erased}


async def get_contact(query: m.GetContact, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    person_id = whose(query.person_id, ctx.actor)
    contact = await deps.uow.load(Contact, person_id, must_exist=False)
    return contact.view()


async def undelivered_notifications(query: m.UndeliveredNotifications, ctx: QueryContext,
                                    deps: Deps) -> dict[str, Any]:
    """Messages that could not be delivered (a bounced address, none given any more, attempts used up): the
    coordinator sees everyone's, a person their own. Kinds and reasons only: no address, no text."""
    person_id = query.person_id if ctx.actor.role is Role.coordinator else whose(query.person_id, ctx.actor)
    rows = await deps.views.undelivered(person_id, query.limit)
    return {"notifications": [row.view() for row in rows]}


COMMANDS: Commands = {
    "set_contact": (m.SetContact, set_contact),
    "mute_kinds": (m.MuteKinds, mute_kinds),
    "forget_contact": (m.ForgetContact, forget_contact),
}

QUERIES: Queries = {
    "get_contact": (m.GetContact, get_contact),
    "undelivered_notifications": (m.UndeliveredNotifications, undelivered_notifications),
}

CONSUMES: Consumed = {
    "orders": {
        orders.OrderPlaced: offers.on_order_placed,
        orders.NoCandidatesLeft: offers.on_no_candidates_left,
        orders.OfferMade: offers.on_offer_made,
        orders.OfferAccepted: offers.on_offer_closed,
        orders.OfferDeclined: offers.on_offer_closed,
        orders.OfferExpired: offers.on_offer_closed,
        orders.OfferWithdrawn: offers.on_offer_closed,
        orders.OrderChanged: offers.on_order_changed,
        orders.EngagementOpened: r.on_engagement_opened,
        orders.EngagementCancelled: r.on_engagement_cancelled,
    },
    "contracts": {
        contracts.ContractDrafted: r.on_contract_drafted,
        contracts.ExpenseLineApproved: r.on_expense_line_approved,
        contracts.ExpenseLineReturned: r.on_expense_line_returned,
        contracts.FeePaid: r.on_fee_paid,
    },
    "feedback": {
        feedback.FeedbackRequested: r.on_feedback_requested,
        feedback.FeedbackReminderSent: r.on_feedback_reminder_sent,
    },
    "registry": {
        registry.ExpertErased: r.on_expert_erased,
        registry.OrdererErased: r.on_orderer_erased,
        registry.ContactPersonErased: r.on_contact_person_erased,
        registry.ConsentExpiryReminded: r.on_consent_expiry_reminded,
        registry.ProfileReturned: r.on_profile_returned,
        registry.OrdererCredentialsGranted: credentials.on_credentials_granted,
        registry.OrdererCredentialsRevoked: credentials.on_credentials_revoked,
    },
}

"""Messages to me: where and how a person is told that something waits for them (an e-mail address or a phone
number, the channel, the language), which kinds of message they want, and the messages that could not be
delivered. Every person taking part in engagements keeps their own; a coordinator sees every undelivered one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.notifications.events import REQUIRED_KINDS, MessageKind
from services.web.forms import Field, Form, Problems
from services.web.i18n import N_
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect
from services.web.rendering import render

PEOPLE = ("expert", "orderer", "organization_contact", "coordinator")

KIND_NAMES = {
    MessageKind.offer_made: N_("A new assignment offer"),
    MessageKind.offer_expiring: N_("An offer about to expire"),
    MessageKind.contract_to_sign: N_("A contract to sign"),
    MessageKind.task_changed: N_("An assignment changed by the orderer"),
    MessageKind.candidates_exhausted: N_("An order of mine that needs more candidates"),
    MessageKind.engagement_cancelled: N_("An assignment cancelled by the other side"),
    MessageKind.expense_approved: N_("An expense line approved"),
    MessageKind.expense_returned: N_("An expense line returned to be corrected"),
    MessageKind.feedback_requested: N_("A feedback form to fill"),
    MessageKind.feedback_reminder: N_("Reminders of a feedback form"),
    MessageKind.payment_made: N_("A payment made to me"),
    MessageKind.consent_expiring: N_("My consent ending soon"),
    MessageKind.profile_returned: N_("My profile returned from review"),
    MessageKind.credentials_expiring: N_("My credentials to search the bank ending soon"),
}
OPTIONAL_KINDS = [kind for kind in MessageKind if kind not in REQUIRED_KINDS]

CONTACT_FORM = Form(fields=(
    Field("channel", N_("How do you want to be told?"), kind="radios",
          options=(("email", N_("By e-mail")), ("sms", N_("By text message"))), default="email"),
    Field("email", N_("E-mail address"), kind="email", required=False, autocomplete="email"),
    Field("phone", N_("Mobile phone number"), kind="tel", required=False, autocomplete="tel",
          hint=N_("In international form, for example +358 40 123 4567")),
    Field("language", N_("Language of the messages"), kind="radios",
          options=(("fi", N_("Finnish")), ("sv", N_("Swedish")), ("en", N_("English"))), default="fi"),
), submit=N_("Save my contact details"))


async def _page_context(request: Request, person: Any) -> dict[str, Any]:
    contact = await ask(request, person, "notifications.query.get_contact")
    undelivered = await ask(request, person, "notifications.query.undelivered_notifications")
    return {"contact": contact, "kinds": OPTIONAL_KINDS, "required": sorted(REQUIRED_KINDS),
            "KIND_NAMES": KIND_NAMES, "undelivered": undelivered["notifications"],
            "everyone": person.act.role == "coordinator"}


async def page(request: Request) -> Response:
    person = await acting_as(request, *PEOPLE)
    context = await _page_context(request, person)
    contact = context["contact"]
    values = {name: contact.get(name) for name in ("email", "phone", "language")}
    values["channel"] = contact.get("channel") or "email"
    return render(request, "notifications.html", {"form": CONTACT_FORM, "values": values, "problems": Problems(),
                                                  **context}, person=person)


async def save_contact(request: Request) -> Response:
    person = await acting_as(request, *PEOPLE)
    return await handle_form(request, person, CONTACT_FORM, "notifications.cmd.set_contact", "notifications.html",
                             await _page_context(request, person), "/notifications",
                             N_("Your contact details are saved."))


async def save_kinds(request: Request) -> Response:
    person = await acting_as(request, *PEOPLE)
    wanted = set((await posted(request)).getlist("wanted"))
    muted = [kind.value for kind in OPTIONAL_KINDS if kind.value not in wanted]
    await ask(request, person, "notifications.cmd.mute_kinds", {"muted": muted})
    return redirect("/notifications", N_("Your choice of messages is saved."), request)


async def forget(request: Request) -> Response:
    person = await acting_as(request, *PEOPLE)
    await posted(request)
    await ask(request, person, "notifications.cmd.forget_contact")
    return redirect("/notifications", N_("Your contact details are erased. You get no messages."), request)


ROUTES = [
    Route("/notifications", page),
    Route("/notifications/contact", save_contact, methods=["POST"]),
    Route("/notifications/kinds", save_kinds, methods=["POST"]),
    Route("/notifications/forget", forget, methods=["POST"]),
]

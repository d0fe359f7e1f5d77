"""A change of the task after the expert accepted it: the orderer changes the order, each expert engaged accepts
the change (the contract is amended) or declines it with a reason; either party may then cancel the engagement,
with a reason."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect


def term_fields(date_field: str) -> tuple[Field, ...]:
    """The task's terms a change or an amendment may give, each optional: only what changes is filled in."""
    return (
        Field(date_field, N_("Date"), kind="date", width="short", required=False),
        Field("start_time", N_("Start time"), width="short", required=False, hint=N_("For example 09:30")),
        Field("duration_hours", N_("Length in hours"), kind="number", width="short", required=False),
        Field("remote", N_("Remote or on site"), kind="radios", required=False,
              options=(("true", N_("Remote work")), ("false", N_("On site")))),
        Field("place", N_("Place"), required=False),
    )


CHANGE_FORM = Form(fields=(Field("topic", N_("Topic"), required=False), *term_fields("date")),
                   submit=N_("Change the order"))
DECLINE_FORM = Form(fields=(
    Field("reason", N_("Why do you decline the change?"), kind="textarea",
          hint=N_("The orderer sees your reason. Do not write anything about your health here.")),
), submit=N_("Decline the change"))
CANCEL_FORM = Form(fields=(
    Field("reason", N_("Why is the engagement cancelled?"), kind="textarea",
          hint=N_("The other party sees your reason. Do not write anyone's health details here.")),
), submit=N_("Cancel the engagement"))


async def change(request: Request) -> Response:
    person = await acting_as(request, "orderer")
    order_id = str(request.path_params["order_id"])
    back = f"/orders/{order_id}"
    return await handle_form(request, person, CHANGE_FORM, "orders.cmd.change_order", "form_page.html",
                             {"title": _("Change the order"), "back": back,
                              "intro": _("Fill in only what changes. An expert already engaged is asked to accept a "
                                         "change of the date, time, length or place; until they do, their "
                                         "engagement keeps its terms.")},
                             back, N_("The order is changed."), extra={"order_id": order_id})


async def accept(request: Request) -> Response:
    person = await acting_as(request, "expert")
    await posted(request)
    engagement_id = str(request.path_params["engagement_id"])
    await ask(request, person, "orders.cmd.accept_change", {"engagement_id": engagement_id})
    return redirect(f"/engagements/{engagement_id}",
                    N_("You accepted the change: the contract is amended, and you both sign its new version."),
                    request)


async def engagement_form(request: Request, roles: tuple[str, ...], form: Form, subject: str, title: str,
                          intro: str, notice: str) -> Response:
    """A form about one engagement, for one of ``roles``, back to the engagement's page once sent."""
    person = await acting_as(request, *roles)
    engagement_id = str(request.path_params["engagement_id"])
    back = f"/engagements/{engagement_id}"
    return await handle_form(request, person, form, subject, "form_page.html",
                             {"title": title, "back": back, "intro": intro}, back, notice,
                             extra={"engagement_id": engagement_id})


async def decline(request: Request) -> Response:
    return await engagement_form(
        request, ("expert",), DECLINE_FORM, "orders.cmd.decline_change", _("Decline the change"),
        _("The engagement keeps the terms you accepted. The orderer decides whether to go on with them."),
        N_("You declined the change: the engagement keeps its terms."))


async def cancel(request: Request) -> Response:
    return await engagement_form(
        request, ("expert", "orderer"), CANCEL_FORM, "orders.cmd.cancel_engagement", _("Cancel the engagement"),
        _("After both have signed the contract, its cancellation terms decide what is owed."),
        N_("The engagement is cancelled."))


ROUTES = [
    Route("/orders/{order_id:uuid}/change", change, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/change/accept", accept, methods=["POST"]),
    Route("/engagements/{engagement_id:uuid}/change/decline", decline, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/cancel", cancel, methods=["GET", "POST"]),
]

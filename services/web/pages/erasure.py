"""A coordinator erases an expert's data on a recorded ground, and the outcome names what the law keeps: the
payments made to the expert (the contracts service's legal_holds: under which rule, until when)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form
from services.web.pages.coordinator import ERASURE_GROUNDS
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

ERASE_EXPERT_FORM = Form(fields=(
    Field("ground", N_("On what ground is the data erased?"), kind="radios", options=ERASURE_GROUNDS,
          hint=N_("The expert leaves the bank, and their name, contact details, experience and answers can no longer "
                  "be read anywhere. The payments made to them are kept as the accounting law requires; the next "
                  "page names until when.")),), submit=N_("Erase the expert's data"))


async def erase_expert(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    expert_id = request.path_params["expert_id"]
    return await handle_form(request, person, ERASE_EXPERT_FORM, "registry.cmd.erase_expert", "form_page.html",
                             {"title": _("Erase an expert's data"), "caption": expert_id, "back": "/coordinator"},
                             f"/coordinator/experts/{expert_id}/erased", N_("The expert's data is erased."),
                             extra={"expert_id": expert_id})


async def erased(request: Request) -> Response:
    """The erasure's outcome: what is kept under a legal obligation, under which rule, until when."""
    person = await acting_as(request, "coordinator")
    expert_id = request.path_params["expert_id"]
    try:
        holds = await ask(request, person, "contracts.query.legal_holds", {"expert_id": expert_id})
        kept, unavailable = holds["kept"], None
    except RemoteError as error:
        kept, unavailable = [], error.message
    return render(request, "coordinator/erased.html", {"expert_id": expert_id, "kept": kept,
                                                       "unavailable": unavailable}, person=person)


ROUTES = [
    Route("/coordinator/experts/{expert_id:str}/erase", erase_expert, methods=["GET", "POST"]),
    Route("/coordinator/experts/{expert_id:str}/erased", erased),
]

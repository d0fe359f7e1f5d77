"""The expert's pages: their profile and consent, the offers made to them, their engagements with fees."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect
from services.web.pages.registry_common import theme_names
from services.web.pages.registry_expert import TASK_KINDS
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

DECLINE_FORM = Form(fields=(
    Field("reason", N_("Why do you decline?"), kind="textarea",
          hint=N_("The orderer sees your reason. Do not write anything about your health here.")),
), submit=N_("Decline the offer"))


async def profile(request: Request) -> Response:
    person = await acting_as(request, "expert")
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": person.act.id})
    names = theme_names(await ask(request, person, "registry.query.list_themes"), language())
    return render(request, "expert/profile.html", {"expert": expert, "names": names, "TASK_KINDS": TASK_KINDS},
                  person=person)


async def consent(request: Request) -> Response:
    person = await acting_as(request, "expert")
    data = await posted(request)
    give = data.get("consent") == "give"
    await ask(request, person, f"registry.cmd.{'give_consent' if give else 'withdraw_consent'}",
              {"expert_id": person.act.id})
    return redirect("/expert", N_("Your consent is given.") if give else N_("Your consent is withdrawn."), request)


async def offers(request: Request) -> Response:
    person = await acting_as(request, "expert")
    found = await ask(request, person, "orders.query.list_offers")
    checks = {offer["offer_id"]: await _income_check(request, person, offer) for offer in found
              if offer["status"] == "open" and not offer.get("order_cancelled")}
    return render(request, "expert/offers.html", {"offers": found, "checks": checks}, person=person)


async def _income_check(request: Request, person: Person, offer: dict[str, Any]) -> dict[str, Any]:
    """Whether the offer's fee would pass the expert's own monthly or yearly limit (contracts counts the fees),
    asked in the expert's own name before they accept. When it cannot be told now, the page says so (an expert
    relying on the warning must not take its absence for an all-clear)."""
    fee = offer.get("fee") or {}
    if not offer.get("date") or not offer.get("duration_hours"):
        return {"unavailable": True}
    body = {"expert_id": person.act.id, "on": offer["date"], "duration_hours": offer["duration_hours"],
            **{name: fee[name] for name in ("hourly_fee", "fixed_fee") if fee.get(name) is not None}}
    try:
        checked: dict[str, Any] = await ask(request, person, "contracts.query.income_check", body)
    except RemoteError as error:
        if error.code == "unauthenticated":
            raise
        return {"unavailable": True}
    return checked


async def accept(request: Request) -> Response:
    person = await acting_as(request, "expert")
    await posted(request)
    params = request.path_params
    accepted = await ask(request, person, "orders.cmd.accept_offer",
                         {"order_id": str(params["order_id"]), "offer_id": str(params["offer_id"])})
    return redirect(f"/engagements/{accepted['engagement_id']}", N_("You accepted the offer. Read and sign the "
                                                                   "contract when it is ready."), request)


async def decline(request: Request) -> Response:
    person = await acting_as(request, "expert")
    params = request.path_params
    return await handle_form(
        request, person, DECLINE_FORM, "orders.cmd.decline_offer", "form_page.html",
        {"title": _("Decline the offer"), "back": "/expert/offers"}, "/expert/offers", N_("You declined the offer."),
        extra={"order_id": str(params["order_id"]), "offer_id": str(params["offer_id"])})


async def engagements(request: Request) -> Response:
    person = await acting_as(request, "expert", "orderer")
    rows = await ask(request, person, "orders.query.list_engagements")
    contracts = {c["engagement_id"]: c for c in await ask(request, person, "contracts.query.list_contracts")}
    return render(request, "engagements.html", {"engagements": rows, "contracts": contracts,
                                                "title": _("My engagements")}, person=person)


ROUTES = [
    Route("/expert", profile),
    Route("/expert/consent", consent, methods=["POST"]),
    Route("/expert/offers", offers),
    Route("/expert/offers/{order_id:uuid}/{offer_id:uuid}/accept", accept, methods=["POST"]),
    Route("/expert/offers/{order_id:uuid}/{offer_id:uuid}/decline", decline, methods=["GET", "POST"]),
    Route("/expert/engagements", engagements),
]

"""The orderer's pages: their orders, searching the bank, placing an order and offering it to an expert."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form, Problems
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form
from services.web.pages.expert import engagements
from services.web.pages.order_forms import CANDIDATES_FORM, organizations, route_form
from services.web.rendering import TASK_TYPES, render

TASK_FIELDS = (
    Field("task_type", N_("What kind of task?"), kind="select", options=tuple(TASK_TYPES.items())),
    Field("topic", N_("Topic"), hint=N_("For example: recovery from depression, for teachers.")),
    Field("date", N_("Date"), kind="date", width="short"),
    Field("start_time", N_("Start time"), width="short", required=False,
          hint=N_("For example 09:30. With it, an expert already engaged at that time is not offered the task.")),
    Field("duration_hours", N_("Length in hours"), kind="number", width="short", hint=N_("For example 1.5")),
    Field("place", N_("Place"), required=False, hint=N_("The address, or leave empty for remote work.")),
    Field("remote", N_("Remote work"), kind="checkbox"),
    Field("experts_wanted", N_("How many experts?"), kind="number", width="short", default="1"),
    Field("fee.mode", N_("Fee"), kind="radios", default="recommended",
          options=(("recommended", N_("The county's recommended fee table")), ("orderer", N_("We set the fee")))),
    Field("fee.hourly_fee", N_("Our fee in euros an hour"), kind="number", width="short", required=False),
    Field("fee.fixed_fee", N_("Or our fee in euros for the whole task"), kind="number", width="short",
          required=False),
)
FEE_ALIASES = (("fee", "fee.mode"),)


def order_form(known: tuple[tuple[str, str], ...]) -> Form:
    """The orderer's order form: the task, and one of three routes to its experts (or none yet)."""
    return Form(fields=(
        *TASK_FIELDS,
        Field("candidates", N_("Experts from the bank to offer the task to"), kind="list", required=False,
              hint=N_("Their ids in order of preference, separated with commas. The first ones are offered the task "
                      "at once; if one declines or does not answer in time, the next one is.")),
        Field("organization_id", N_("Or address the order to an organization"), kind="select", required=False,
              options=(("", N_("No")), *known),
              hint=N_("Its contact person proposes experts who are its members.")),
        Field("expert_id", N_("Or offer the task to an expert you know"), required=False, width="short",
              hint=N_("Their id. They need not be in the bank, but must have completed a basic training.")),
    ), submit=N_("Place the order"), aliases=FEE_ALIASES)

# Why a ranked candidate was passed over (the orders service's skip reasons).
SKIP_REASONS = {
    "not_listed": N_("Skipped: not listed in the bank"),
    "not_trained_member": N_("Skipped: not a trained, active member of an organization"),
    "county_agreement": N_("Skipped: no agreement with the county on the date"),
    "double_booked": N_("Skipped: already engaged at that time"),
    "away": N_("Skipped: away on the date"),
}


def candidate_rows(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Each ranked candidate in turn, with an offer's state (answered or waiting) or a note of where their turn is."""
    candidates = order.get("candidates") or {}
    states = {**{w["expert_id"]: "open" for w in candidates.get("waiting", [])},
              **{a["expert_id"]: a["answer"] for a in candidates.get("answered", [])}}
    skipped = {s["expert_id"]: s["reason"] for s in candidates.get("skipped", [])}
    upcoming = candidates.get("next", [])
    rows = []
    for expert_id in candidates.get("ranked", []):
        note = (SKIP_REASONS.get(skipped[expert_id], skipped[expert_id]) if expert_id in skipped
                else N_("Next in turn") if upcoming[:1] == [expert_id] else N_("Later in turn"))
        rows.append({"expert_id": expert_id, "status": states.get(expert_id), "note": note})
    return rows

OFFER_FORM = Form(fields=(
    Field("expert_id", N_("Expert"), kind="select"),
), submit=N_("Offer the task"))


async def orders(request: Request) -> Response:
    person = await acting_as(request, "orderer")
    found = await ask(request, person, "orders.query.list_orders")
    return render(request, "orderer/orders.html", {"orders": found}, person=person)


async def bank(request: Request) -> Response:
    person = await acting_as(request, "orderer")
    criteria = {name: request.query_params.get(name, "").strip() for name in ("topic", "language", "region")}
    found = await ask(request, person, "registry.query.search_bank",
                      {name: value for name, value in criteria.items() if value})
    return render(request, "orderer/bank.html", {"experts": found, "criteria": criteria}, person=person)


async def new_order(request: Request) -> Response:
    person = await acting_as(request, "orderer")
    form = order_form(await organizations(request, person))
    return await handle_form(request, person, form, "orders.cmd.place_order", "form_page.html",
                             {"title": _("New order"), "intro": _("One task, for one or more experts.")},
                             lambda placed: f"/orders/{placed['order_id']}", N_("Your order is placed."))


async def order(request: Request) -> Response:
    person = await acting_as(request, "orderer", "coordinator", "auditor")
    context = await order_context(request, person, str(request.path_params["order_id"]))
    return render(request, "orderer/order.html", {**context, "form": None, "values": {}, "problems": Problems()},
                  person=person)


async def order_context(request: Request, person: Any, order_id: str) -> dict[str, Any]:
    """The order page's order, candidates and forms: offering it (its orderer), routing it (a coordinator)."""
    found = await ask(request, person, "orders.query.get_order", {"order_id": order_id})
    context: dict[str, Any] = {"order": found, "candidates": candidate_rows(found), "offer_form": None,
                               "route_form": None, "candidates_form": None}
    accepted = sum(offer["status"] == "accepted" for offer in found["offers"])
    if found["cancelled"] or accepted >= found["experts_wanted"]:
        return context
    if person.act.role == "orderer":
        context["offer_form"] = await _offer_form(request, person)
    elif person.act.role == "coordinator":
        context["route_form"] = route_form(await organizations(request, person))
        context["candidates_form"] = CANDIDATES_FORM
    return context


async def _offer_form(request: Request, person: Any) -> Form:
    experts = await ask(request, person, "registry.query.search_bank")
    options = tuple((e["expert_id"], f"{e['name'] or e['expert_id']} ({', '.join(e['topics'])})") for e in experts)
    return Form(fields=(Field("expert_id", N_("Expert"), kind="select", options=options),),
                submit=OFFER_FORM.submit)


async def make_offer(request: Request) -> Response:
    person = await acting_as(request, "orderer")
    order_id = str(request.path_params["order_id"])
    context = await order_context(request, person, order_id)
    return await handle_form(request, person, context["offer_form"], "orders.cmd.make_offer", "orderer/order.html",
                             context, f"/orders/{order_id}", N_("The offer is sent to the expert."),
                             extra={"order_id": order_id})


ROUTES = [
    Route("/orderer", orders),
    Route("/orderer/bank", bank),
    Route("/orderer/orders/new", new_order, methods=["GET", "POST"]),
    Route("/orderer/engagements", engagements),
    Route("/orders/{order_id:uuid}", order),
    Route("/orders/{order_id:uuid}/offer", make_offer, methods=["POST"]),
]

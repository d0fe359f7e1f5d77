"""The pages of an order's routes: the contact person's incoming orders (propose the organization's experts, or
decline), the coordinator's "take an order for an orderer" form, their queue of orders to route and engagements
needing attention, and routing an order (to an organization, or to candidates) from its page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form, Problems
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form
from services.web.pages.order_forms import CANDIDATES_FORM, options, organizations, route_form
from services.web.pages.orderer import FEE_ALIASES, TASK_FIELDS, candidate_rows, order_context
from services.web.rendering import render

PROPOSE_FORM = Form(fields=(
    Field("candidates", N_("Experts to propose"), kind="list",
          hint=N_("Their ids in order of preference, separated with commas. The first ones are offered the task at "
                  "once; if one declines or does not answer in time, the next one is.")),
), submit=N_("Propose the experts"))
DECLINE_FORM = Form(fields=(
    Field("reason", N_("Why does the organization decline the order?"), kind="textarea",
          hint=N_("The coordinator routes the order elsewhere. Do not write about anyone's health.")),
), submit=N_("Decline the order"))
TAKEN_VIA = (("phone", N_("By phone")), ("email", N_("By e-mail")))


async def take_form(request: Request, person: Any) -> Form:
    """The order form with the orderer it is taken for, how it came, and an optional route."""
    orderers = await ask(request, person, "registry.query.list_orderers")
    known = await organizations(request, person)
    return Form(fields=(
        Field("orderer_id", N_("Orderer"), kind="select",
              options=options([o for o in orderers if o.get("valid")], "orderer_id", "orderer_name")),
        Field("taken_via", N_("How did the order come?"), kind="radios", default="phone", options=TAKEN_VIA),
        *TASK_FIELDS,
        Field("organization_id", N_("Route to an organization"), kind="select", required=False,
              options=(("", N_("Not yet: I route it later")), *known),
              hint=N_("Its contact person proposes experts, or declines.")),
    ), submit=N_("Record the order"), aliases=FEE_ALIASES)


async def take_order(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    form = await take_form(request, person)
    return await handle_form(request, person, form, "orders.cmd.take_order", "form_page.html",
                             {"title": _("Take an order for an orderer"), "back": "/coordinator/orders",
                              "intro": _("An order that came by phone or e-mail, recorded as taken by you.")},
                             lambda taken: f"/orders/{taken['order_id']}", N_("The order is recorded."))


async def queue(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    to_route = await ask(request, person, "orders.query.list_orders_to_route")
    attention = await ask(request, person, "orders.query.list_engagements_needing_attention")
    return render(request, "coordinator/orders.html", {"orders": to_route, "attention": attention}, person=person)


async def route_to_organization(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    order_id = str(request.path_params["order_id"])
    form = route_form(await organizations(request, person))
    return await _order_form(request, person, order_id, form, "orders.cmd.route_order",
                             N_("The order is routed to the organization."), "/coordinator/orders")


async def rank_candidates(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    order_id = str(request.path_params["order_id"])
    return await _order_form(request, person, order_id, CANDIDATES_FORM, "orders.cmd.rank_candidates",
                             N_("The task is offered to the experts in turn."), f"/orders/{order_id}")


async def incoming(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    found = await ask(request, person, "orders.query.list_incoming_orders")
    return render(request, "organization/orders.html", {"orders": found}, person=person)


async def incoming_order(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    order_id = str(request.path_params["order_id"])
    context = await _incoming_context(request, person, order_id)
    return render(request, "organization/order.html", {**context, "values": {}, "problems": Problems()},
                  person=person)


async def _incoming_context(request: Request, person: Any, order_id: str) -> dict[str, Any]:
    found = await ask(request, person, "orders.query.get_order", {"order_id": order_id})
    experts = await ask(request, person, "registry.query.list_experts",
                        {"organization_id": person.act.organization_id})
    return {"order": found, "candidates": candidate_rows(found), "experts": experts, "propose_form": PROPOSE_FORM,
            "decline_form": DECLINE_FORM}


async def propose(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    order_id = str(request.path_params["order_id"])
    return await _order_form(request, person, order_id, PROPOSE_FORM, "orders.cmd.propose_experts",
                             N_("The experts are proposed: the first ones are offered the task."),
                             f"/organization/orders/{order_id}", incoming=True)


async def decline(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    order_id = str(request.path_params["order_id"])
    return await _order_form(request, person, order_id, DECLINE_FORM, "orders.cmd.decline_order",
                             N_("The order is declined: the coordinator routes it elsewhere."), "/organization/orders",
                             incoming=True)


async def _order_form(request: Request, person: Any, order_id: str, form: Form, subject: str, notice: str,
                      success: str, incoming: bool = False) -> Response:
    """Send one of an order page's forms; on an error, the order page again with the problems at that form."""
    if incoming:
        template, context = "organization/order.html", await _incoming_context(request, person, order_id)
    else:
        template, context = "orderer/order.html", await order_context(request, person, order_id)
    return await handle_form(request, person, form, subject, template, context, success, notice,
                             extra={"order_id": order_id})


ROUTES = [
    Route("/organization/orders", incoming),
    Route("/organization/orders/{order_id:uuid}", incoming_order),
    Route("/organization/orders/{order_id:uuid}/propose", propose, methods=["POST"]),
    Route("/organization/orders/{order_id:uuid}/decline", decline, methods=["POST"]),
    Route("/coordinator/orders", queue),
    Route("/coordinator/orders/new", take_order, methods=["GET", "POST"]),
    Route("/orders/{order_id:uuid}/route", route_to_organization, methods=["POST"]),
    Route("/orders/{order_id:uuid}/candidates", rank_candidates, methods=["POST"]),
]

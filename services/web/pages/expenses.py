"""Expenses, so that the expert never pays to work: the expert's claim after the task, line by line (each
line's errors at its own fields); the orderer or a coordinator approving or returning each line; the expense
rates a coordinator publishes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect
from services.web.rendering import EXPENSE_KINDS, render

ROWS = 5  # lines on the claim form: enough for a car journey, a ticket, parking and a per diem
KIND_OPTIONS = tuple(EXPENSE_KINDS.items())
LINE_FIELDS = (
    ("kind", N_("What"), "select", None),
    ("kilometres", N_("Kilometres"), "number", "short"),
    ("route", N_("Route"), "text", None),
    ("amount", N_("Price in euros"), "number", "short"),
    ("description", N_("What and where"), "text", None),
    ("hours_away", N_("Hours away from home"), "number", "short"),
)
CLAIM_FORM = Form(fields=tuple(
    Field(f"lines.{row}.{name}", label, kind=kind, width=width, required=False,
          options=KIND_OPTIONS if name == "kind" else ())
    for row in range(ROWS) for name, label, kind, width in LINE_FIELDS
), submit=N_("Send the claim"))
RETURN_FORM = Form(fields=(Field("reason", N_("Why is the line returned?"), kind="textarea",
                                 hint=N_("The expert reads this and may claim the line again, corrected.")),),
                   submit=N_("Return the line"))
EXPENSE_RATES_FORM = Form(fields=(
    Field("rates_id", N_("Identifier"), width="short", hint=N_("For example rates-2027")),
    Field("effective_from", N_("In force from"), kind="date", width="short"),
    Field("car_per_km", N_("Own car in euros a kilometre"), kind="number", width="short"),
    Field("per_diem_partial", N_("Per diem in euros, over 6 hours away"), kind="number", width="short"),
    Field("per_diem_full", N_("Per diem in euros, over 10 hours away"), kind="number", width="short"),
    Field("meal_allowance", N_("Meal allowance in euros"), kind="number", width="short"),
), submit=N_("Publish the expense rates"))


async def _lines(body: dict[str, Any]) -> dict[str, Any]:
    """The form's rows as the command's list of lines, up to the last row filled in. An empty row between
    filled ones is sent as it is, so that every line keeps its row's number and its errors show at its fields."""
    rows = body.pop("lines", {})
    filled = [int(row) for row, values in rows.items() if values]
    return {**body, "lines": [rows.get(str(row), {}) for row in range(max(filled) + 1)] if filled else []}


async def claim(request: Request) -> Response:
    person = await acting_as(request, "expert")
    engagement_id = str(request.path_params["engagement_id"])
    contract = await ask(request, person, "contracts.query.get_contract", {"engagement_id": engagement_id})
    back = f"/engagements/{engagement_id}"
    return await handle_form(request, person, CLAIM_FORM, "contracts.cmd.claim_expenses", "expenses/claim.html",
                             {"back": back, "terms": contract["terms"], "rows": range(ROWS),
                              "line_fields": [name for name, *_ in LINE_FIELDS]},
                             back, N_("Your expense claim is sent."), extra={"engagement_id": engagement_id},
                             prepare=_lines)


async def approve(request: Request) -> Response:
    person = await acting_as(request, "orderer", "coordinator")
    await posted(request)
    engagement_id = str(request.path_params["engagement_id"])
    await ask(request, person, "contracts.cmd.approve_expense_line",
              {"engagement_id": engagement_id, "line_no": request.path_params["line_no"]})
    return redirect(f"/engagements/{engagement_id}", N_("The expense line is approved."), request)


async def return_line(request: Request) -> Response:
    person = await acting_as(request, "orderer", "coordinator")
    engagement_id = str(request.path_params["engagement_id"])
    line_no = request.path_params["line_no"]
    back = f"/engagements/{engagement_id}"
    return await handle_form(request, person, RETURN_FORM, "contracts.cmd.return_expense_line", "form_page.html",
                             {"title": _("Return expense line %(line)s", line=line_no), "back": back}, back,
                             N_("The expense line is returned to the expert."),
                             extra={"engagement_id": engagement_id, "line_no": line_no})


async def rates(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    published = await ask(request, person, "contracts.query.expense_rates")
    return render(request, "expenses/rates.html", {"rates": list(reversed(published))}, person=person)


async def new_rates(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    return await handle_form(request, person, EXPENSE_RATES_FORM, "contracts.cmd.publish_expense_rates",
                             "form_page.html", {"title": _("Publish expense rates"),
                                                "back": "/coordinator/expense-rates"},
                             "/coordinator/expense-rates", N_("The expense rates are published."))


ROUTES = [
    Route("/engagements/{engagement_id:uuid}/expenses", claim, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/expenses/{line_no:int}/approve", approve, methods=["POST"]),
    Route("/engagements/{engagement_id:uuid}/expenses/{line_no:int}/return", return_line, methods=["GET", "POST"]),
    Route("/coordinator/expense-rates", rates),
    Route("/coordinator/expense-rates/new", new_rates, methods=["GET", "POST"]),
]

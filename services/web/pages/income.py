"""The expert's own annual income limit: the fees of this year against it, setting it and clearing it. Only the
expert (and a coordinator) sees it: a benefit or a pension depends on it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect

LIMIT_FORM = Form(fields=(
    Field("annual_limit", N_("Your limit in euros of fees a year"), kind="number", width="short", required=False,
          hint=N_("For example the earnings limit of your pension or benefit. Only you and the coordinator see it; "
                  "expense reimbursements do not count.")),
    Field("monthly_limit", N_("Your limit in euros of fees a month"), kind="number", width="short", required=False,
          hint=N_("If your pension or benefit has a monthly earnings limit. You are warned before you accept an "
                  "offer whose fee would pass it.")),
), submit=N_("Save the limit"))


async def income_limit(request: Request) -> Response:
    person = await acting_as(request, "expert")
    summary = await ask(request, person, "contracts.query.income_summary", {"expert_id": person.act.id})
    return await handle_form(request, person, LIMIT_FORM, "contracts.cmd.set_income_limit", "expert/income.html",
                             {"title": _("My income limit"), "summary": summary}, "/expert/income-limit",
                             N_("Your income limit is saved."), extra={"expert_id": person.act.id})


async def clear(request: Request) -> Response:
    person = await acting_as(request, "expert")
    await posted(request)
    await ask(request, person, "contracts.cmd.clear_income_limit", {"expert_id": person.act.id})
    return redirect("/expert/income-limit", N_("Your income limit is removed."), request)


ROUTES = [
    Route("/expert/income-limit", income_limit, methods=["GET", "POST"]),
    Route("/expert/income-limit/clear", clear, methods=["POST"]),
]

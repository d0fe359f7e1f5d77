"""The payment batch: what is approved and unpaid, each part with its tax character and the Incomes Register's
deadline, for a payment day the coordinator picks; its CSV for payroll to download; and recording it paid."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form, Problems, problems_of
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, posted, redirect
from services.web.rendering import EXPENSE_KINDS, render
from shared.messaging.rpc import RemoteError

DAY_FORM = Form(fields=(Field("paid_on", N_("Payment day"), kind="date",
                              hint=N_("The day payroll pays the batch; the Incomes Register is reported to within "
                                      "five days of it.")),), submit=N_("Show the batch"))
CHARACTERS = {
    "fee_income": N_("Fee income: wage by the tax card, or a fee for work (työkorvaus)"),
    "tax_free_allowance": N_("Tax-free travel allowance"),
    "cost_reimbursement": N_("Tax-free cost reimbursement"),
    "taxable_allowance": N_("Taxable: the part over the year's tax-free maximum"),
}
ITEMS = {"fee": N_("Fee"), "cancellation_fee": N_("Fee owed for the cancellation"),
         "delivery_mileage": N_("Mileage"), "delivery_expenses": N_("Other expenses")}
OVER = "-over-maximum"


def part_label(part: dict[str, Any]) -> str:
    """What a part of a payment is, in the person's language: the fee, the mileage, or an expense line's kind."""
    item = part["item"].removesuffix(OVER)
    if item in ITEMS:
        return _(ITEMS[item])
    return _("Expense line %(line)s", line=item.removeprefix("line-")) + ": " + _(EXPENSE_KINDS.get(part["kind"],
                                                                                                    part["kind"]))


def _day(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The payment day asked for (today when none), as the query's body and as the form's values."""
    values = {key: request.query_params[key] for key in request.query_params}
    if not any(key.startswith("paid_on-") for key in values):
        today = dt.date.today()
        values.update({f"paid_on-{part}": str(getattr(today, part)) for part in ("day", "month", "year")})
    return DAY_FORM.body(values), values


async def batch(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    body, values = _day(request)
    found: Any = None
    problems = Problems()
    try:
        found = await ask(request, person, "contracts.query.payment_batch", body)
    except RemoteError as error:
        if error.code != "validation":
            raise
        problems = problems_of(DAY_FORM, error)
    paid = await ask(request, person, "contracts.query.list_contracts", {"status": "paid"})
    return render(request, "coordinator/payments.html",
                  {"batch": found, "paid": paid, "form": DAY_FORM, "values": values, "problems": problems,
                   "characters": CHARACTERS, "part_label": part_label, "query": urlencode(values),
                   "today": dt.date.today().isoformat()},
                  person=person, status=400 if problems else 200)


async def download(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    body, _ = _day(request)
    found = await ask(request, person, "contracts.query.payment_batch", body)
    return Response(found["csv"], media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{found["filename"]}"'})


async def record(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    data = await posted(request)
    await ask(request, person, "contracts.cmd.record_payment_batch",
              {"batch_id": data.get("batch_id"), "paid_on": data.get("paid_on")})
    return redirect("/coordinator/payments", N_("The batch is recorded as paid."), request)


ROUTES = [
    Route("/coordinator/payments", batch),
    Route("/coordinator/payments/batch.csv", download),
    Route("/coordinator/payments/record", record, methods=["POST"]),
]

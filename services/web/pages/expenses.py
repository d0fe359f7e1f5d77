"""Expenses, so that the expert never pays to work: the expert's claim after the task, line by line (each
line's errors at its own fields); the orderer or a coordinator approving or returning each line; the expense
rates a coordinator publishes."""

from __future__ import annotations

import base64
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.contracts.receipts import MAX_RECEIPT_BYTES, sniff
from services.web.forms import Field, Form, Problems
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
    ("receipt", N_("Receipt"), "file", None),
)
RECEIPT_HINT = N_("A PDF or a photo (JPEG, PNG), at most 640 KiB.")
CLAIM_FORM = Form(fields=tuple(
    Field(f"lines.{row}.{name}", label, kind=kind, width=width, required=False,
          options=KIND_OPTIONS if name == "kind" else (), hint=RECEIPT_HINT if kind == "file" else None)
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


async def _receipts(data: FormData) -> dict[int, bytes]:
    """The receipt files of the claim form's rows, by row."""
    files = {}
    for row in range(ROWS):
        upload = data.get(f"lines.{row}.receipt")
        if isinstance(upload, UploadFile) and upload.filename:
            await upload.seek(0)  # read once to check, again to send
            content = await upload.read(MAX_RECEIPT_BYTES + 1)
            if content:
                files[row] = content
    return files


async def _check_receipts(data: FormData) -> Problems:
    """A file too large for its message, or that is not a PDF or an image, is named at its row before the claim
    is sent (the contracts service checks the same again)."""
    problems = Problems()
    for row, content in (await _receipts(data)).items():
        name = f"lines.{row}.receipt"
        if len(content) > MAX_RECEIPT_BYTES:
            problems.add(CLAIM_FORM, name, _("The file is larger than 640 KiB. Save it as a smaller PDF or photo."))
        elif sniff(content) is None:
            problems.add(CLAIM_FORM, name, _("The file is not a PDF or an image."))
        if row not in _filled_rows(data):
            problems.add(CLAIM_FORM, name, _("Fill in the line this receipt is for."))
    return problems


def _filled_rows(data: FormData) -> set[int]:
    return {row for row in range(ROWS) for name, *_ in LINE_FIELDS
            if name != "receipt" and isinstance(value := data.get(f"lines.{row}.{name}"), str) and value.strip()}


async def claim(request: Request) -> Response:
    person = await acting_as(request, "expert")
    engagement_id = str(request.path_params["engagement_id"])
    contract = await ask(request, person, "contracts.query.get_contract", {"engagement_id": engagement_id})
    back = f"/engagements/{engagement_id}"

    async def attach(result: dict[str, Any]) -> str:
        """The claim is filed: each row's receipt goes to the line it became (the claim's lines are the last
        ones, row by row), in a command of its own."""
        files = await _receipts(await request.form())
        sent = max(_filled_rows(await request.form()), default=-1) + 1
        numbers = [line["line_no"] for line in result["expenses"]["lines"]][-sent:] if sent else []
        for row, content in files.items():
            await ask(request, person, "contracts.cmd.attach_receipt", {
                "engagement_id": engagement_id, "line_no": numbers[row],
                "data": base64.b64encode(content).decode()})
        return back

    return await handle_form(request, person, CLAIM_FORM, "contracts.cmd.claim_expenses", "expenses/claim.html",
                             {"back": back, "terms": contract["terms"], "rows": range(ROWS),
                              "line_fields": [name for name, *_ in LINE_FIELDS]},
                             attach, N_("Your expense claim is sent."), extra={"engagement_id": engagement_id},
                             prepare=_lines, check=_check_receipts)


async def receipt(request: Request) -> Response:
    """A receipt file, to the contract's expert, its orderer or a coordinator (the service checks who)."""
    person = await acting_as(request, "expert", "orderer", "coordinator")
    got = await ask(request, person, "contracts.query.receipt", {
        "engagement_id": str(request.path_params["engagement_id"]),
        "receipt_id": str(request.path_params["receipt_id"])})
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(got["content_type"], "bin")
    return Response(base64.b64decode(got["data"]), media_type=got["content_type"], headers={
        "Content-Disposition": f'attachment; filename="receipt-line-{got["line_no"]}.{extension}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


async def decline_fee(request: Request) -> Response:
    """The expert declines the fee: the engagement is volunteering."""
    person = await acting_as(request, "expert")
    await posted(request)
    engagement_id = str(request.path_params["engagement_id"])
    await ask(request, person, "contracts.cmd.decline_fee", {"engagement_id": engagement_id})
    return redirect(f"/engagements/{engagement_id}", N_("The fee is declined: this is volunteering."), request)


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
    Route("/engagements/{engagement_id:uuid}/receipts/{receipt_id:uuid}", receipt),
    Route("/engagements/{engagement_id:uuid}/decline-fee", decline_fee, methods=["POST"]),
    Route("/engagements/{engagement_id:uuid}/expenses/{line_no:int}/approve", approve, methods=["POST"]),
    Route("/engagements/{engagement_id:uuid}/expenses/{line_no:int}/return", return_line, methods=["GET", "POST"]),
    Route("/coordinator/expense-rates", rates),
    Route("/coordinator/expense-rates/new", new_rates, methods=["GET", "POST"]),
]

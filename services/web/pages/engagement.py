"""One engagement as each party sees it: its state, the contract to read and sign, the delivery to confirm,
the feedback form to fill, the payment to record; each action only for whose it is."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect
from services.web.pages.engagement_change import engagement_form, term_fields
from services.web.rendering import QUESTION_TEXTS, render
from shared.clock import Clock
from shared.messaging.rpc import RemoteError

PARTIES = ("expert", "orderer")
DELIVERY_FORM = Form(fields=(
    Field("actual_hours", N_("Hours worked"), kind="number", width="short"),
    Field("kilometres", N_("Kilometres driven"), kind="number", width="short", required=False,
          hint=N_("The expert's travel by car, there and back.")),
    Field("other_expenses", N_("Other expenses in euros"), kind="number", width="short", required=False,
          hint=N_("For example tickets or meals the expert paid.")),
), submit=N_("Confirm the delivery"))
PAYMENT_FORM = Form(fields=(Field("paid_on", N_("Paid on"), kind="date", width="short", required=False,
                                  hint=N_("Leave empty for today.")),), submit=N_("Record the payment"))
AMEND_FORM = Form(fields=(
    *term_fields("task_date"),
    Field("hourly_fee", N_("Fee in euros an hour"), kind="number", width="short", required=False),
    Field("fixed_fee", N_("Or the fee in euros for the whole task"), kind="number", width="short", required=False),
), submit=N_("Amend the contract"))
SCALE = (("1", N_("1 – not at all")), ("2", "2"), ("3", "3"), ("4", "4"), ("5", N_("5 – fully")))
FORM_OF_ROLE = {"expert": "self_assessment", "orderer": "orderer_feedback"}


async def _optional(request: Request, person: Person, subject: str, body: dict[str, Any]) -> Any:
    """A part that may not be there yet (the contract being drafted, feedback not yet asked for)."""
    try:
        return await ask(request, person, subject, body)
    except RemoteError as error:
        if error.code in ("not_found", "forbidden"):
            return None
        raise


async def view(request: Request) -> Response:
    person = await acting_as(request, "expert", "orderer", "coordinator", "auditor")
    engagement_id = str(request.path_params["engagement_id"])
    body = {"engagement_id": engagement_id}
    engagement = await ask(request, person, "orders.query.get_engagement", body)
    contract = feedback = None
    if person.act.role != "auditor":
        contract = await _optional(request, person, "contracts.query.get_contract", body)
        feedback = await _optional(request, person, "feedback.query.get_feedback", body)
    own_form = (feedback or {}).get("forms", {}).get(FORM_OF_ROLE.get(person.act.role, ""))
    may_sign = contract is not None and _may_sign(person, contract)
    # The expert claims expenses once both signed, from the task's day on (the service says the same), the day
    # as the contract has it: an amendment may have moved it.
    task_day = (contract or {}).get("terms", {}).get("task_date") or engagement["date"]
    may_claim = (person.act.role == "expert" and contract is not None and contract["fully_signed"]
                 and contract["status"] != "cancelled" and task_day <= Clock().today().isoformat())
    # Signing names the document the signer is shown (in their language): a stale one is refused.
    document = await _document(request, person, engagement_id) if may_sign else None
    return render(request, "engagement.html", {
        "engagement": engagement, "contract": contract, "feedback": feedback, "own_form": own_form,
        "may_sign": may_sign, "may_claim": may_claim, "questions": QUESTION_TEXTS, "document": document,
    }, person=person)


async def _document(request: Request, person: Person, engagement_id: str, version: int | None = None) -> Any:
    """The contract document in the person's language (Finnish for English: the county writes it in both
    national languages); the version in force unless another is asked for."""
    body: dict[str, Any] = {"engagement_id": engagement_id, "language": "sv" if language() == "sv" else "fi"}
    return await ask(request, person, "contracts.query.contract_document",
                     {**body, "version": version} if version else body)


async def contract_document(request: Request) -> Response:
    person = await acting_as(request, *PARTIES, "coordinator")
    engagement_id = str(request.path_params["engagement_id"])
    contract = await ask(request, person, "contracts.query.get_contract", {"engagement_id": engagement_id})
    version = request.query_params.get("version")
    return render(request, "contract_document.html", {
        "engagement_id": engagement_id, "contract": contract,
        "document": await _document(request, person, engagement_id, int(version) if version and version.isdigit()
                                    else None),
        "may_sign": _may_sign(person, contract)}, person=person)


def _may_sign(person: Person, contract: dict[str, Any]) -> bool:
    """A party signs the version in force until both have (the first, or an amendment)."""
    unsigned = not contract.get("version_signed", contract["fully_signed"])
    return (person.act.role in PARTIES and contract["status"] != "cancelled" and unsigned
            and not contract["signed_by"].get(person.act.role))


async def contract_pdf(request: Request) -> Response:
    person = await acting_as(request, *PARTIES, "coordinator")
    version = request.query_params.get("version")
    body: dict[str, Any] = {"engagement_id": str(request.path_params["engagement_id"]),
                            "language": "sv" if language() == "sv" else "fi"}
    found = await ask(request, person, "contracts.query.contract_pdf",
                      {**body, "version": int(version)} if version and version.isdigit() else body)
    return Response(base64.b64decode(found["pdf"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{found["filename"]}"'})


async def sign(request: Request) -> Response:
    person = await acting_as(request, *PARTIES)
    data = await posted(request)
    engagement_id = str(request.path_params["engagement_id"])
    seen = str(data.get("document_hash") or "") or None
    try:
        await ask(request, person, "contracts.cmd.sign_contract", {"engagement_id": engagement_id,
                                                                   "party": person.act.role, "document_hash": seen})
    except RemoteError as error:
        if error.code != "conflict" or seen is None:
            raise
        return redirect(f"/engagements/{engagement_id}/contract",
                        N_("The contract is not the one you read: read this version and sign it."), request)
    return redirect(f"/engagements/{engagement_id}", N_("You signed the contract."), request)


async def delivery(request: Request) -> Response:
    return await engagement_form(request, ("orderer",), DELIVERY_FORM, "orders.cmd.confirm_delivery",
                                 _("Confirm the delivery"),
                                 _("The fee and expenses are computed from the contract and these figures."),
                                 N_("The delivery is confirmed."))


def question_fields(questions: list[dict[str, Any]], lang: str) -> list[Field]:
    """The fields of a questionnaire's questions, their texts in the person's language."""
    fields = []
    for q in questions:
        label = q["text"].get(lang) or q["text"]["fi"]
        if q["kind"] == "choice":
            options = tuple((o["id"], o["text"].get(lang) or o["text"]["fi"]) for o in q.get("options", ()))
            fields.append(Field(f"choices.{q['id']}", label, kind="radios", options=options))
        elif q["kind"] == "text":
            fields.append(Field(f"texts.{q['id']}", label, kind="textarea", required=False))
        else:
            fields.append(Field(f"ratings.{q['id']}", label, kind="rating", options=SCALE))
    return fields


async def feedback(request: Request) -> Response:
    person = await acting_as(request, *PARTIES)
    engagement_id = str(request.path_params["engagement_id"])
    form_name = FORM_OF_ROLE[person.act.role]
    # The version shown is the version answered, even if the coordinator changes the questionnaire meanwhile.
    shown = request.query_params.get("version")
    asked = {"form": form_name, **({"version": int(shown)} if shown and shown.isdigit() else {})}
    try:
        questions = await ask(request, person, "feedback.query.feedback_questions", asked)
    except RemoteError as error:  # a version the questionnaire does not have: the current one
        if error.code != "validation":
            raise
        questions = await ask(request, person, "feedback.query.feedback_questions", {"form": form_name})
    version = questions["versions"][form_name]
    fields = question_fields(questions["forms"][form_name], language())
    fields.append(Field("free_text", N_("Anything else?"),
                        kind="textarea", required=False,
                        hint=N_("The coordinator reads this. Do not write anyone's health details here.")))
    form = Form(fields=tuple(fields), submit=N_("Send"))
    title = _("Self-assessment") if form_name == "self_assessment" else _("Feedback on the expert's work")
    back = f"/engagements/{engagement_id}"
    return await handle_form(request, person, form, "feedback.cmd.submit_feedback", "form_page.html",
                             {"title": title, "back": back, "intro": _("Answer each statement on a scale of 1 to 5."),
                              "action": f"/engagements/{engagement_id}/feedback?version={version}"},
                             back, N_("Thank you: your answers are saved."),
                             extra={"engagement_id": engagement_id, "form": form_name,
                                    "questionnaire_version": version})


async def amend(request: Request) -> Response:
    return await engagement_form(request, ("coordinator",), AMEND_FORM, "contracts.cmd.amend_contract",
                                 _("Amend the contract"),
                                 _("Fill in only what changes. The contract gets a new version, which both parties "
                                   "sign again; the earlier versions stay readable."),
                                 N_("The contract is amended: both parties sign the new version."))


async def payment(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    engagement_id = str(request.path_params["engagement_id"])
    return await handle_form(request, person, PAYMENT_FORM, "contracts.cmd.record_payment", "form_page.html",
                             {"title": _("Record the payment"), "back": "/coordinator/payments"},
                             "/coordinator/payments", N_("The payment is recorded."),
                             extra={"engagement_id": engagement_id})


ROUTES = [
    Route("/engagements/{engagement_id:uuid}", view),
    Route("/engagements/{engagement_id:uuid}/sign", sign, methods=["POST"]),
    Route("/engagements/{engagement_id:uuid}/contract", contract_document),
    Route("/engagements/{engagement_id:uuid}/contract.pdf", contract_pdf),
    Route("/engagements/{engagement_id:uuid}/delivery", delivery, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/feedback", feedback, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/payment", payment, methods=["GET", "POST"]),
    Route("/engagements/{engagement_id:uuid}/amend", amend, methods=["GET", "POST"]),
]

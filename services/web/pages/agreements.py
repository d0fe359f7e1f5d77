"""The organization agreement between the county and an NGO (järjestösopimus): a coordinator drafts, renews and
ends it; the coordinator and the organization's contact persons read each version and sign it, in Finnish or
Swedish (the county writes it in both national languages, so an English reader gets the Finnish one)."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import Refused, acting_as, ask, handle_form, posted, redirect
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

PARTIES = ("coordinator", "organization_contact")
TERMS = (
    Field("valid_from", N_("Valid from"), kind="date", width="short"),
    Field("valid_until", N_("Valid until"), kind="date", width="short", required=False,
          hint=N_("Leave empty if the agreement is valid until further notice.")),
    Field("annual_fee", N_("Yearly payment to the organization in euros"), kind="number", width="short",
          required=False, hint=N_("For training and supporting its experts. Leave empty if the county pays none.")),
    Field("payment_days", N_("Days to pay an invoice"), kind="number", width="short", default="14"),
    Field("notice_days", N_("Notice period in days"), kind="number", width="short", default="90"),
)
DRAFT_FORM = Form(fields=(Field("agreement_id", N_("Agreement identifier"), width="short",
                                hint=N_("For example mieli-2027")), *TERMS),
                  submit=N_("Draft the agreement"))
RENEW_FORM = Form(fields=TERMS, submit=N_("Draft the renewal"))
END_REASONS = (
    ("terminated_by_county", N_("The county terminated it")),
    ("terminated_by_organization", N_("The organization terminated it")),
    ("mutual", N_("Both parties agreed to end it")),
    ("breach", N_("A party did not keep the agreement")),
    ("organization_ceased", N_("The organization stopped its experience-expert activity")),
)
END_FORM = Form(fields=(
    Field("ended_on", N_("Last day in force"), kind="date", width="short"),
    Field("reason", N_("Why does the agreement end?"), kind="radios", options=END_REASONS),
), submit=N_("End the agreement"))


def _place(request: Request) -> tuple[str, str]:
    return request.path_params["organization_id"], request.path_params["agreement_id"]


def _address(organization_id: str, agreement_id: str) -> str:
    return f"/agreements/{organization_id}/{agreement_id}"


async def _party(request: Request, organization_id: str) -> Person:
    person = await acting_as(request, *PARTIES)
    if person.act.role == "organization_contact" and person.act.organization_id != organization_id:
        raise Refused("not-your-page")
    return person


async def _read(request: Request, person: Person, subject: str) -> Any:
    """The agreement's version asked for (the latest unless ``?version=``), in the reader's language: Swedish
    for a Swedish reader, else Finnish (the county writes it in both national languages)."""
    organization_id, agreement_id = _place(request)
    version = request.query_params.get("version")
    body: dict[str, Any] = {"organization_id": organization_id, "agreement_id": agreement_id,
                            "language": "sv" if language() == "sv" else "fi"}
    return await ask(request, person, subject, {**body, "version": int(version)} if version and version.isdigit()
                     else body)


async def document(request: Request) -> Response:
    """A version of the agreement to read (the latest unless another is asked for), and to sign where it waits for
    this party's signature."""
    organization_id, agreement_id = _place(request)
    person = await _party(request, organization_id)
    found = await _read(request, person, "registry.query.organization_agreement")
    party = "county" if person.act.role == "coordinator" else "organization"
    latest = found["agreement"]["versions"][-1]
    may_sign = found["to_sign"] and party not in latest["signatures"]
    return render(request, "agreement_document.html", {
        "document": found, "agreement": found["agreement"], "organization_id": organization_id,
        "address": _address(organization_id, agreement_id), "may_sign": may_sign,
        "coordinator": person.act.role == "coordinator",
        "back": f"/coordinator/organizations/{organization_id}" if person.act.role == "coordinator"
        else "/organization/agreements"}, person=person)


async def sign(request: Request) -> Response:
    organization_id, agreement_id = _place(request)
    person = await _party(request, organization_id)
    data = await posted(request)
    address = _address(organization_id, agreement_id)
    try:
        await ask(request, person, "registry.cmd.sign_organization_agreement", {
            "organization_id": organization_id, "agreement_id": agreement_id,
            "document_hash": str(data.get("document_hash") or "")})
    except RemoteError as error:
        if error.code not in ("conflict", "validation"):
            raise
        return redirect(address, N_("The agreement is not the one you read: read this version and sign it."),
                        request)
    return redirect(address, N_("You signed the agreement."), request)


async def pdf(request: Request) -> Response:
    person = await _party(request, request.path_params["organization_id"])
    found = await _read(request, person, "registry.query.organization_agreement_pdf")
    return Response(base64.b64decode(found["pdf"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{found["filename"]}"'})


async def draft(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    organization_id = request.path_params["organization_id"]
    return await handle_form(request, person, DRAFT_FORM, "registry.cmd.draft_organization_agreement",
                             "form_page.html", {"title": _("Draft an organization agreement"),
                                                "caption": organization_id,
                                                "back": f"/coordinator/organizations/{organization_id}"},
                             lambda done: _address(organization_id, done["agreement_id"]),
                             N_("The agreement is drafted: both parties read and sign it."),
                             extra={"organization_id": organization_id})


async def renew(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    organization_id, agreement_id = _place(request)
    address = _address(organization_id, agreement_id)
    return await handle_form(request, person, RENEW_FORM, "registry.cmd.renew_organization_agreement",
                             "form_page.html", {"title": _("Renew the agreement"), "caption": agreement_id,
                                                "intro": _("The renewal is the agreement's next version for a "
                                                           "further period, starting no later than the day after "
                                                           "the current one ends. Both parties sign it again; the "
                                                           "earlier versions stay readable."),
                                                "back": address}, address,
                             N_("The renewal is drafted: both parties read and sign it."),
                             extra={"organization_id": organization_id, "agreement_id": agreement_id})


async def end(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    organization_id, agreement_id = _place(request)
    back = f"/coordinator/organizations/{organization_id}"
    return await handle_form(request, person, END_FORM, "registry.cmd.end_organization_agreement",
                             "form_page.html", {"title": _("End the agreement"), "caption": agreement_id,
                                                "back": back}, back, N_("The agreement is ended."),
                             extra={"organization_id": organization_id, "agreement_id": agreement_id})


async def own_agreements(request: Request) -> Response:
    """The contact person's organization's agreements with the county."""
    person = await acting_as(request, "organization_contact")
    organization = await ask(request, person, "registry.query.get_organization",
                             {"organization_id": person.act.organization_id})
    return render(request, "organization/agreements.html", {"organization": organization}, person=person)


ROUTES = [
    Route("/coordinator/organizations/{organization_id:str}/agreement", draft, methods=["GET", "POST"]),
    Route("/coordinator/organizations/{organization_id:str}/agreements/{agreement_id:str}/renew", renew,
          methods=["GET", "POST"]),
    Route("/coordinator/organizations/{organization_id:str}/agreements/{agreement_id:str}/end", end,
          methods=["GET", "POST"]),
    Route("/organization/agreements", own_agreements),
    Route("/agreements/{organization_id:str}/{agreement_id:str}", document),
    Route("/agreements/{organization_id:str}/{agreement_id:str}/sign", sign, methods=["POST"]),
    Route("/agreements/{organization_id:str}/{agreement_id:str}/agreement.pdf", pdf),
]

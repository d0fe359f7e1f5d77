"""The contact person's pages: their organization's experts (register, record training, list or unlist) and
the organization's register as CSV."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import acting_as, ask, handle_form
from services.web.rendering import TRAININGS, render

REGISTER_FORM = Form(fields=(
    Field("expert_id", N_("Identifier"), width="short",
          hint=N_("Letters, digits, dots and dashes, for example maija.m. Not a personal identity code.")),
    Field("name", N_("Full name"), autocomplete="off"),
    Field("email", N_("E-mail address"), kind="email", autocomplete="off",
          hint=N_("The expert signs in with this address.")),
    Field("phone", N_("Phone number"), kind="tel", required=False, autocomplete="off", width="short"),
    Field("experience", N_("Lived experience, in the expert's own words"), kind="textarea", required=False,
          hint=N_("Only what the expert wants to tell orderers. This is sensitive personal data.")),
), submit=N_("Register the expert"))

TRAINING_FORM = Form(fields=(
    Field("training", N_("Training"), kind="radios", default="basic training",
          options=(("basic training", N_("Basic training")), ("supplementary training", N_("Supplementary training")))),
    Field("completed_on", N_("Completed on"), kind="date", width="short"),
), submit=N_("Record the training"))

LIST_FORM = Form(fields=(
    Field("topics", N_("Topics"), kind="list", hint=N_("Separate with commas, for example: recovery, mental health")),
    Field("languages", N_("Languages"), kind="list", required=False, default="fi",
          hint=N_("Language codes separated with commas, for example: fi, sv")),
    Field("regions", N_("Regions"), kind="list", required=False,
          hint=N_("Leave empty if the expert works anywhere.")),
), submit=N_("List in the bank"))

UNLIST_FORM = Form(fields=(Field("reason", N_("Why is the expert taken off the bank?"), kind="textarea"),),
                   submit=N_("Take off the bank"))


async def experts(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    register = await ask(request, person, "registry.query.list_experts",
                         {"organization_id": person.act.organization_id})
    organization = await ask(request, person, "registry.query.get_organization",
                             {"organization_id": person.act.organization_id})
    return render(request, "organization/experts.html", {"experts": register, "organization": organization},
                  person=person)


async def register_csv(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    register = await ask(request, person, "registry.query.list_experts",
                         {"organization_id": person.act.organization_id})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Identifier"), _("Full name"), _("E-mail address"), _("Phone number"), _("Trainings"),
                     _("Consent"), _("Listed"), _("Active")])
    yes_no = {True: _("yes"), False: _("no")}
    for e in register:
        trainings = "; ".join(_(TRAININGS[t]) if t in TRAININGS else t for t in e["trainings"])
        writer.writerow([e["expert_id"], e["name"] or "", e["email"] or "", e["phone"] or "", trainings,
                         yes_no[e["consented"]], yes_no[e["listed"]], yes_no[e["active"]]])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="register-{person.act.organization_id}.csv"'})


async def register_expert(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    return await handle_form(request, person, REGISTER_FORM, "registry.cmd.register_expert", "form_page.html",
                             {"title": _("Register an expert"), "back": "/organization"},
                             lambda done: f"/organization/experts/{done['expert_id']}", N_("The expert is registered."),
                             extra={"organization_id": person.act.organization_id})


async def expert(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    found = await ask(request, person, "registry.query.get_expert", {"expert_id": request.path_params["expert_id"]})
    return render(request, "organization/expert.html", {"expert": found}, person=person)


def _expert_form(form: Form, subject: str, title: str, notice: str, with_trainer: bool = False):  # type: ignore[no-untyped-def]
    async def page(request: Request) -> Response:
        person = await acting_as(request, "organization_contact")
        expert_id = request.path_params["expert_id"]
        extra = {"expert_id": expert_id, **({"trained_by": person.act.organization_id} if with_trainer else {})}
        back = f"/organization/experts/{expert_id}"
        return await handle_form(request, person, form, subject, "form_page.html",
                                 {"title": _(title), "caption": expert_id, "back": back}, back, notice, extra=extra)
    return page


ROUTES = [
    Route("/organization", experts),
    Route("/organization/register.csv", register_csv),
    Route("/organization/experts/new", register_expert, methods=["GET", "POST"]),
    Route("/organization/experts/{expert_id:str}", expert),
    Route("/organization/experts/{expert_id:str}/training", _expert_form(
        TRAINING_FORM, "registry.cmd.record_training", N_("Record a completed training"),
        N_("The training is recorded."), with_trainer=True), methods=["GET", "POST"]),
    Route("/organization/experts/{expert_id:str}/list", _expert_form(
        LIST_FORM, "registry.cmd.list_expert", N_("List the expert in the bank"), N_("The expert is listed.")),
        methods=["GET", "POST"]),
    Route("/organization/experts/{expert_id:str}/unlist", _expert_form(
        UNLIST_FORM, "registry.cmd.unlist_expert", N_("Take the expert off the bank"),
        N_("The expert is taken off the bank.")), methods=["GET", "POST"]),
]

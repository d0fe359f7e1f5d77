"""The registry's pages for contact persons and coordinators: profiles to review, training programmes and
cohorts, the theme vocabulary, the situational picture (with CSV), who looked at whom; and the bank's search for
everyone who may search it (orderers with credentials, contact persons, coordinators), with an expert's profile."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.forms import DATE_PARTS, Field, Form, Problems, date_from_parts, problems_of
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import acting_as, ask, handle_form, posted, redirect
from services.web.pages.registry_common import theme_names
from services.web.pages.registry_expert import TASK_KINDS, WEEKDAYS
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

STAFF = ("organization_contact", "coordinator")
SEARCHERS = ("orderer", "organization_contact", "coordinator")
RETURN_FORM = Form(fields=(Field("reason", N_("What should the expert change?"), kind="textarea",
                                 hint=N_("The expert sees this.")),), submit=N_("Return to the expert"))
INVITE_FORM = Form(fields=(Field("expert_id", N_("The expert's identifier"), width="short"),),
                   submit=N_("Ask the expert to join"))
THEME_FORM = Form(fields=(
    Field("theme_id", N_("Identifier"), width="short", hint=N_("For example eating-disorders")),
    Field("name_fi", N_("Name in Finnish")), Field("name_sv", N_("Name in Swedish")),
    Field("name_en", N_("Name in English")),
), submit=N_("Save the theme"))
PROGRAMME_FORM = Form(fields=(
    Field("programme_id", N_("Identifier"), width="short", hint=N_("For example varha-pilot")),
    Field("name", N_("Name")),
    Field("kind", N_("Kind"), kind="radios", default="basic",
          options=(("basic", N_("Basic training")), ("further", N_("Further training")))),
    Field("modules", N_("Modules"), kind="list", hint=N_("The modules' names, separated with commas.")),
), submit=N_("Save the programme"))
COHORT_FORM = Form(fields=(
    Field("cohort_id", N_("Identifier"), width="short", hint=N_("For example varha-2022")),
    Field("programme_id", N_("Programme"), kind="select"),
    Field("starts_on", N_("Starts on"), kind="date", width="short"),
    Field("ends_on", N_("Ends on"), kind="date", width="short"),
), submit=N_("Open the cohort"))
PAGE_SIZE = 20


def _home(person: Person) -> str:
    return "/coordinator" if person.act.role == "coordinator" else "/organization"


# -- reviews ---------------------------------------------------------------------------------------------

async def reviews(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    waiting = await ask(request, person, "registry.query.profiles_to_review")
    return render(request, "registry/reviews.html", {"waiting": waiting, "home": _home(person)}, person=person)


async def review(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    expert_id = request.path_params["expert_id"]
    expert = await ask(request, person, "registry.query.get_expert",
                       {"expert_id": expert_id, "purpose": "profile_review"})
    names = theme_names(await ask(request, person, "registry.query.list_themes"), language())
    values: dict[str, Any] = {}
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data}
        try:
            await ask(request, person, "registry.cmd.return_profile",
                      {"expert_id": expert_id, **RETURN_FORM.body(data)})
        except RemoteError as error:
            problems = problems_of(RETURN_FORM, error)
        else:
            return redirect(f"{_home(person)}/reviews", N_("The profile is returned to the expert."), request)
    return render(request, "registry/review.html", {
        "expert": expert, "names": names, "form": RETURN_FORM, "values": values, "problems": problems,
        "home": _home(person), "TASK_KINDS": TASK_KINDS}, person=person, status=400 if problems else 200)


async def approve(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    await posted(request)
    done = await ask(request, person, "registry.cmd.approve_profile", {"expert_id": request.path_params["expert_id"]})
    notice = N_("The profile is approved; the expert is listed in the bank.") if done["listed"] else \
        N_("The profile is approved.")
    return redirect(f"{_home(person)}/reviews", notice, request)


async def invite(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    return await handle_form(request, person, INVITE_FORM, "registry.cmd.join_organization", "form_page.html",
                             {"title": _("Ask an expert to join"), "back": "/organization",
                              "intro": _("The expert becomes a member when they accept.")},
                             "/organization", N_("The expert is asked to join."),
                             extra={"organization_id": person.act.organization_id})


# -- themes ----------------------------------------------------------------------------------------------

async def themes(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    if request.method == "POST":
        return await handle_form(request, person, THEME_FORM, "registry.cmd.define_theme", "registry/themes.html",
                                 {"themes": await ask(request, person, "registry.query.list_themes")},
                                 "/coordinator/themes", N_("The theme is saved."))
    return render(request, "registry/themes.html", {
        "themes": await ask(request, person, "registry.query.list_themes"), "form": THEME_FORM, "values": {},
        "problems": Problems()}, person=person)


async def retire(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    await posted(request)
    await ask(request, person, "registry.cmd.retire_theme", {"theme_id": request.path_params["theme_id"]})
    return redirect("/coordinator/themes", N_("The theme is retired."), request)


# -- programmes and cohorts ------------------------------------------------------------------------------

async def trainings(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    programmes = await ask(request, person, "registry.query.list_programmes")
    cohorts = await ask(request, person, "registry.query.list_cohorts")
    return render(request, "registry/trainings.html", {"programmes": programmes, "cohorts": cohorts,
                                                       "home": _home(person)}, person=person)


def _organization_of(person: Person, request: Request) -> str:
    return person.act.organization_id or str(request.query_params.get("organization_id") or "varha")


async def new_programme(request: Request) -> Response:
    person = await acting_as(request, *STAFF)

    async def with_modules(body: dict[str, Any]) -> dict[str, Any]:
        names = body.pop("modules", None) or []
        return {**body, "organization_id": _organization_of(person, request),
                "modules": [{"module_id": f"m{n}", "name": name} for n, name in enumerate(names, 1)]}

    return await handle_form(request, person, PROGRAMME_FORM, "registry.cmd.define_programme", "form_page.html",
                             {"title": _("Define a training programme"), "back": f"{_home(person)}/trainings"},
                             f"{_home(person)}/trainings", N_("The programme is saved."), prepare=with_modules)


async def new_cohort(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    programmes = await ask(request, person, "registry.query.list_programmes")
    form = Form(fields=(COHORT_FORM.fields[0], Field("programme_id", N_("Programme"), kind="select", options=tuple(
        (p["programme_id"], p["name"]) for p in programmes)), *COHORT_FORM.fields[2:]), submit=COHORT_FORM.submit)
    return await handle_form(request, person, form, "registry.cmd.open_cohort", "form_page.html",
                             {"title": _("Open a cohort"), "back": f"{_home(person)}/trainings"},
                             lambda done: f"{_home(person)}/cohorts/{done['cohort_id']}", N_("The cohort is opened."),
                             extra={"organization_id": _organization_of(person, request)})


# The date fields of the cohort's and the bank's hand-made forms: three parts each, as in every other form.
MODULE_COMPLETION = Form((Field("completed_on", N_("Completed on"), kind="date"),), submit=N_("Record the module"))
BANK_SEARCH = Form((Field("available_on", N_("Available on"), kind="date", required=False),), submit=N_("Search"))


async def cohort(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    values: dict[str, Any] = {}
    cohort_id = request.path_params["cohort_id"]
    found = await ask(request, person, "registry.query.get_cohort", {"cohort_id": cohort_id})
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        action = data.get("action")
        try:
            if action == "enroll":
                await ask(request, person, "registry.cmd.enroll_participant",
                          {"cohort_id": cohort_id, "expert_id": str(data.get("expert_id") or "")})
            else:
                await ask(request, person, "registry.cmd.record_module_completion", {
                    "cohort_id": cohort_id, "expert_id": str(data.get("expert_id") or ""),
                    "module_id": str(data.get("module_id") or ""),
                    "completed_on": date_from_parts("completed_on", data) or ""})
        except RemoteError as error:
            problems = problems_of(MODULE_COMPLETION, error)
            values = dict(data)
        else:
            return redirect(f"{_home(person)}/cohorts/{cohort_id}", N_("Saved."), request)
    return render(request, "registry/cohort.html", {
        "cohort": found, "problems": problems, "home": _home(person), "completed_on": MODULE_COMPLETION.fields[0],
        "values": values}, person=person, status=400 if problems else 200)


# -- the situational picture and who looked at whom ------------------------------------------------------

async def situation(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    rows = await ask(request, person, "registry.query.situation")
    names = theme_names(await ask(request, person, "registry.query.list_themes"), language())
    return render(request, "registry/situation.html", {"rows": rows, "names": names, "home": _home(person)},
                  person=person)


async def situation_csv(request: Request) -> Response:
    person = await acting_as(request, *STAFF)
    rows = await ask(request, person, "registry.query.situation")
    names = theme_names(await ask(request, person, "registry.query.list_themes"), language())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Organization"), _("Experts"), _("Trained"), _("Listed"), _("Active in the last year"),
                     _("Cohorts"), _("Trainings completed"), _("By theme"), _("By region")])
    for row in rows:
        writer.writerow([row["name"], row["experts"], row["trained"], row["listed"], row["active"], row["cohorts"],
                         row["trainings_completed"],
                         "; ".join(f"{names.get(k, k)}: {v}" for k, v in row["by_theme"].items()),
                         "; ".join(f"{k}: {v}" for k, v in row["by_region"].items())])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="situation.csv"'})


async def access_log(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    criteria = {name: request.query_params.get(name, "").strip() for name in ("expert_id", "viewer_id")}
    rows = await ask(request, person, "registry.query.access_log", {k: v for k, v in criteria.items() if v})
    return render(request, "registry/access_log.html", {"rows": rows, "criteria": criteria}, person=person)


# -- the bank --------------------------------------------------------------------------------------------

async def bank(request: Request) -> Response:
    person = await acting_as(request, *SEARCHERS)
    params = request.query_params
    themes_list = await ask(request, person, "registry.query.list_themes")
    criteria = {name: params.get(name, "").strip() for name in (
        "theme", "relation", "region", "municipality", "language", "task_kind",
        *(f"available_on-{part}" for part in DATE_PARTS))}
    body: dict[str, Any] = {name: value for name, value in criteria.items()
                            if value and name != "theme" and not name.startswith("available_on")}
    if criteria["theme"]:
        body["themes"] = [criteria["theme"]]
    available_on = date_from_parts("available_on", criteria)
    if available_on:
        body["available_on"] = available_on
    page = params.get("page", "1")
    body["page"] = int(page) if page.isdigit() and 0 < int(page) <= 1000 else 1
    body["page_size"] = PAGE_SIZE
    problems = Problems()
    found: dict[str, Any] = {"total": 0, "results": [], "page": 1}
    try:
        found = await ask(request, person, "registry.query.find_experts", body)
    except RemoteError as error:
        if error.code != "validation":
            raise
        problems = problems_of(BANK_SEARCH, error)
    query = "&".join(f"{k}={v}" for k, v in criteria.items() if v)
    return render(request, "registry/bank.html", {
        "found": found, "criteria": criteria, "themes": [t for t in themes_list if not t["retired"]],
        "names": theme_names(themes_list, language()), "TASK_KINDS": TASK_KINDS, "problems": problems,
        "available_on": BANK_SEARCH.fields[0],
        "query": query, "pages": (found["total"] + PAGE_SIZE - 1) // PAGE_SIZE},
        person=person, status=400 if problems else 200)


async def bank_expert(request: Request) -> Response:
    person = await acting_as(request, *SEARCHERS)
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": request.path_params["expert_id"]})
    names = theme_names(await ask(request, person, "registry.query.list_themes"), language())
    return render(request, "registry/bank_expert.html", {"expert": expert, "names": names, "TASK_KINDS": TASK_KINDS,
                                                         "WEEKDAYS": WEEKDAYS}, person=person)


ROUTES = [
    Route("/bank", bank),
    Route("/bank/experts/{expert_id:str}", bank_expert),
    Route("/organization/reviews", reviews),
    Route("/coordinator/reviews", reviews),
    Route("/organization/reviews/{expert_id:str}", review, methods=["GET", "POST"]),
    Route("/coordinator/reviews/{expert_id:str}", review, methods=["GET", "POST"]),
    Route("/organization/reviews/{expert_id:str}/approve", approve, methods=["POST"]),
    Route("/coordinator/reviews/{expert_id:str}/approve", approve, methods=["POST"]),
    Route("/organization/invite", invite, methods=["GET", "POST"]),
    Route("/organization/trainings", trainings),
    Route("/coordinator/trainings", trainings),
    Route("/organization/programmes/new", new_programme, methods=["GET", "POST"]),
    Route("/coordinator/programmes/new", new_programme, methods=["GET", "POST"]),
    Route("/organization/cohorts/new", new_cohort, methods=["GET", "POST"]),
    Route("/coordinator/cohorts/new", new_cohort, methods=["GET", "POST"]),
    Route("/organization/cohorts/{cohort_id:str}", cohort, methods=["GET", "POST"]),
    Route("/coordinator/cohorts/{cohort_id:str}", cohort, methods=["GET", "POST"]),
    Route("/organization/situation", situation),
    Route("/coordinator/situation", situation),
    Route("/organization/situation.csv", situation_csv),
    Route("/coordinator/situation.csv", situation_csv),
    Route("/coordinator/themes", themes, methods=["GET", "POST"]),
    Route("/coordinator/themes/{theme_id:str}/retire", retire, methods=["POST"]),
    Route("/coordinator/access-log", access_log),
]

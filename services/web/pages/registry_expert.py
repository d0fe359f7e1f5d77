"""The expert's registry pages: their profile (themes, where they work, introduction, CV, video) and its review,
their availability, their consents with purposes and end dates, their organizations, and who has looked at
their profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.forms import Field, Form, Problems, problems_of
from services.web.i18n import N_, language
from services.web.pages.common import SignInRequired, acting_as, ask, posted, redirect
from services.web.pages.registry_common import theme_names
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

TASK_KINDS = {"talk": N_("Talks and lectures"), "co_teaching": N_("Co-teaching"),
              "development_group": N_("Development groups"), "evaluation": N_("Evaluating services"),
              "peer_support": N_("Peer support"), "media": N_("Media work")}
CONTACT_PREFERENCES = (("through_organization", N_("Through my organization")), ("email", N_("By e-mail")),
                       ("phone", N_("By phone")))
CONSENT_PURPOSES = {"bank_listing": N_("Being listed in the experience bank"),
                    "orderer_contact": N_("Being contacted by orderers directly"),
                    "feedback_use": N_("The use of my feedback in follow-up")}
WEEKDAYS = ((1, N_("Monday")), (2, N_("Tuesday")), (3, N_("Wednesday")), (4, N_("Thursday")), (5, N_("Friday")),
            (6, N_("Saturday")), (7, N_("Sunday")))
BLACKOUT_ROWS = 3

PROFILE_FORM = Form(fields=(
    Field("themes", N_("Themes of your lived experience"),
          hint=N_("Choose whether the experience is your own or a close relative's. This is sensitive personal data: "
                  "the bank shows it only to those who search it.")),
    Field("municipality", N_("Home municipality"), required=False, width="short"),
    Field("regions", N_("Regions you work in"), kind="list", required=False,
          hint=N_("Separate with commas. Leave empty if you work anywhere.")),
    Field("languages", N_("Languages"), kind="list", default="fi",
          hint=N_("Language codes separated with commas, for example: fi, sv")),
    Field("task_kinds", N_("Kinds of task you take")),
    Field("introduction", N_("A short introduction"), kind="textarea", required=False,
          hint=N_("Orderers read this in the bank. Tell only what you want to tell.")),
    Field("cv", N_("CV"), kind="textarea", required=False, hint=N_("At most 20,000 characters.")),
    Field("video_url", N_("Link to a video about you"), required=False, hint=N_("An address starting with https://")),
    Field("contact_preference", N_("How orderers contact you"), kind="radios", default="through_organization",
          options=CONTACT_PREFERENCES,
          hint=N_("Directly only if you have also consented to being contacted by orderers.")),
), submit=N_("Save the profile"))

CONSENT_FORM = Form(fields=(
    Field("purpose", N_("Purpose"), kind="radios", default="bank_listing", options=tuple(CONSENT_PURPOSES.items())),
    Field("valid_until", N_("Valid until"), kind="date", width="short", required=False,
          hint=N_("Leave empty for two years from today. For example 31 12 2027")),
), submit=N_("Give the consent"))

AVAILABILITY_FORM = Form(fields=(
    Field("weekdays", N_("The days you take assignments on")),
    *(field for n in range(BLACKOUT_ROWS) for field in (
        Field(f"blackouts.{n}.starts_on", N_("Not available from"), kind="date", width="short", required=False),
        Field(f"blackouts.{n}.ends_on", N_("Until"), kind="date", width="short", required=False))),
), submit=N_("Save the availability"))


async def _themes(request: Request, person: Person) -> list[dict[str, Any]]:
    return list(await ask(request, person, "registry.query.list_themes"))


def _profile_values(profile: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "municipality": profile.get("municipality") or "", "regions": ", ".join(profile.get("regions") or []),
        "languages": ", ".join(profile.get("languages") or []), "introduction": profile.get("introduction") or "",
        "cv": profile.get("cv") or "", "video_url": profile.get("video_url") or "",
        "contact_preference": profile.get("contact_preference") or "through_organization",
    }
    for choice in profile.get("themes") or []:
        values[f"theme-{choice['theme']}-{choice['relation']}"] = "yes"
    for kind in profile.get("task_kinds") or []:
        values[f"task-{kind}"] = "yes"
    return values


def _profile_body(data: FormData, themes: list[dict[str, Any]]) -> dict[str, Any]:
    body = PROFILE_FORM.body(data)
    body["themes"] = [{"theme": theme["theme_id"], "relation": relation} for theme in themes
                      for relation in ("own", "relative") if data.get(f"theme-{theme['theme_id']}-{relation}")]
    body["task_kinds"] = [kind for kind in TASK_KINDS if data.get(f"task-{kind}")]
    body.setdefault("languages", ["fi"])
    return body


async def _send(request: Request, person: Person, form: Form, subject: str, body: dict[str, Any]) -> Problems:
    try:
        await ask(request, person, subject, body)
    except RemoteError as error:
        if error.code == "unauthenticated":
            raise SignInRequired from None
        return problems_of(form, error)
    return Problems()


async def edit_profile(request: Request) -> Response:
    person = await acting_as(request, "expert")
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": person.act.id})
    themes = await _themes(request, person)
    values = _profile_values(expert.get("profile") or {})
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data}
        problems = await _send(request, person, PROFILE_FORM, "registry.cmd.change_profile",
                               {"expert_id": person.act.id, **_profile_body(data, themes)})
        if not problems:
            return redirect("/expert", N_("Your profile is saved. Send it to review when it is ready."), request)
    shown = [theme for theme in themes if not theme["retired"]
             or any(values.get(f"theme-{theme['theme_id']}-{r}") for r in ("own", "relative"))]
    return render(request, "expert/profile_edit.html", {
        "form": PROFILE_FORM, "values": values, "problems": problems, "themes": shown, "TASK_KINDS": TASK_KINDS,
        "names": theme_names(themes, language())}, person=person, status=400 if problems else 200)


async def submit_profile(request: Request) -> Response:
    person = await acting_as(request, "expert")
    data = await posted(request)
    await ask(request, person, "registry.cmd.submit_profile",
              {"expert_id": person.act.id, "listing": data.get("listing") == "yes"})
    return redirect("/expert", N_("Your profile is sent to review. You see the answer here."), request)


def _availability_values(availability: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {f"weekday-{day}": "yes" for day in availability.get("weekdays") or []}
    for n, blackout in enumerate((availability.get("blackouts") or [])[:BLACKOUT_ROWS]):
        for end in ("starts_on", "ends_on"):
            day = dt.date.fromisoformat(blackout[end])
            values.update({f"blackouts.{n}.{end}-day": str(day.day), f"blackouts.{n}.{end}-month": str(day.month),
                           f"blackouts.{n}.{end}-year": str(day.year)})
    return values


async def availability(request: Request) -> Response:
    person = await acting_as(request, "expert")
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": person.act.id})
    values = _availability_values(expert["availability"])
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data}
        rows = AVAILABILITY_FORM.body(data).get("blackouts", {})
        filled = list(rows.items())  # (row on the page, its dates): only the rows with a date in them
        # The service names a period by its place among those sent; the page, by its row.
        form = Form(AVAILABILITY_FORM.fields, AVAILABILITY_FORM.submit, aliases=tuple(
            (f"blackouts.{sent}.{end}", f"blackouts.{row}.{end}") for sent, (row, _) in enumerate(filled)
            for end in ("starts_on", "ends_on")))
        body = {"expert_id": person.act.id, "weekdays": [day for day, _ in WEEKDAYS if data.get(f"weekday-{day}")],
                "blackouts": [dict(dates) for _, dates in filled]}
        problems = await _send(request, person, form, "registry.cmd.set_availability", body)
        if not problems:
            return redirect("/expert", N_("Your availability is saved."), request)
    return render(request, "expert/availability.html", {
        "form": AVAILABILITY_FORM, "values": values, "problems": problems, "WEEKDAYS": WEEKDAYS,
        "rows": range(BLACKOUT_ROWS)}, person=person, status=400 if problems else 200)


async def consents(request: Request) -> Response:
    person = await acting_as(request, "expert")
    values: dict[str, Any] = {}
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data}
        problems = await _send(request, person, CONSENT_FORM, "registry.cmd.give_consent",
                               {"expert_id": person.act.id, **CONSENT_FORM.body(data)})
        if not problems:
            return redirect("/expert/consents", N_("Your consent is given."), request)
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": person.act.id})
    history = await ask(request, person, "registry.query.consent_history", {"expert_id": person.act.id})
    return render(request, "expert/consents.html", {
        "expert": expert, "history": list(reversed(history["history"])), "form": CONSENT_FORM, "values": values,
        "problems": problems, "PURPOSES": CONSENT_PURPOSES}, person=person, status=400 if problems else 200)


async def withdraw(request: Request) -> Response:
    person = await acting_as(request, "expert")
    data = await posted(request)
    purpose = str(data.get("purpose") or "")
    await ask(request, person, "registry.cmd.withdraw_consent", {"expert_id": person.act.id, "purpose": purpose})
    return redirect("/expert/consents", N_("Your consent is withdrawn."), request)


async def organizations(request: Request) -> Response:
    person = await acting_as(request, "expert")
    expert = await ask(request, person, "registry.query.get_expert", {"expert_id": person.act.id})
    names = {o["organization_id"]: o["name"] for o in await ask(request, person, "registry.query.list_organizations")}
    return render(request, "expert/organizations.html", {"expert": expert, "names": names}, person=person)


async def membership(request: Request) -> Response:
    person = await acting_as(request, "expert")
    data = await posted(request)
    organization_id = str(data.get("organization_id") or "")
    answer = str(data.get("answer") or "")
    if answer == "leave":
        await ask(request, person, "registry.cmd.leave_organization",
                  {"expert_id": person.act.id, "organization_id": organization_id})
        notice = N_("You left the organization.")
    else:
        await ask(request, person, "registry.cmd.answer_membership",
                  {"expert_id": person.act.id, "organization_id": organization_id, "accept": answer == "accept"})
        notice = N_("You joined the organization.") if answer == "accept" else N_("You declined.")
    return redirect("/expert/organizations", notice, request)


async def views(request: Request) -> Response:
    person = await acting_as(request, "expert")
    rows = await ask(request, person, "registry.query.who_viewed", {"expert_id": person.act.id})
    return render(request, "expert/views.html", {"rows": rows}, person=person)


ROUTES = [
    Route("/expert/profile", edit_profile, methods=["GET", "POST"]),
    Route("/expert/profile/submit", submit_profile, methods=["POST"]),
    Route("/expert/availability", availability, methods=["GET", "POST"]),
    Route("/expert/consents", consents, methods=["GET", "POST"]),
    Route("/expert/consents/withdraw", withdraw, methods=["POST"]),
    Route("/expert/organizations", organizations),
    Route("/expert/organizations/answer", membership, methods=["POST"]),
    Route("/expert/views", views),
]

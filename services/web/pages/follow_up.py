"""The follow-up report for the coordinator: a period's figures, self against orderer on the shared dimensions,
the fees and expenses paid, a breakdown by organization, region, task kind, kind of orderer or period, and the
same figures as CSV (figures from fewer than five answers or people come from the service suppressed, and are
shown as such); and the wellbeing follow-ups of an organization for its contact person."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.charts import Group, bar_chart
from services.web.forms import Field, Form, Problems, problems_of
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import acting_as, ask, posted, redirect
from services.web.rendering import TASK_TYPES, render
from shared.messaging.rpc import RemoteError

BREAKDOWNS = (("month", N_("Month")), ("quarter", N_("Quarter")), ("year", N_("Year")),
              ("organization", N_("Organization")), ("region", N_("Region")), ("task_type", N_("Task kind")),
              ("orderer_kind", N_("Kind of orderer")))
ORDERER_KINDS = {"county": N_("The county's own services"), "other": N_("Other orderers")}
REPORT_FORM = Form(fields=(Field("from", N_("From"), kind="date"), Field("until", N_("Until"), kind="date"),
                           Field("by", N_("Broken down by"), kind="select", options=BREAKDOWNS)),
                   submit=N_("Show"))


# The shared dimensions both forms ask, in the report's order.
DIMENSION_NAMES = {"preparation": N_("Preparation"), "experience_heard": N_("How the experience was heard"),
                   "usefulness": N_("Usefulness"), "cooperation": N_("Cooperation"),
                   "own_wellbeing": N_("The expert's own wellbeing")}


def _breakdown_headers(by: str) -> list[Any]:
    headers: list[Any] = [_(dict(BREAKDOWNS)[by]), (_("Engagements"), "numeric"), (_("Hours worked"), "numeric"),
                          (_("Fees paid"), "numeric"), (_("Expenses paid"), "numeric"),
                          (_("Forms answered"), "numeric"), (_("Answer rate"), "numeric")]
    for name in DIMENSION_NAMES.values():
        headers += [(_("%(dimension)s, self", dimension=_(name)), "numeric"),
                    (_("%(dimension)s, orderer", dimension=_(name)), "numeric")]
    return headers


def charts(found: dict[str, Any], by: str) -> list[Markup]:
    """Self against orderer on the shared dimensions, and the answer rate of each group of the breakdown."""
    both = (_("Self-assessment"), _("Orderer's feedback"))
    dimensions = [Group(_(label), (found["dimensions"][name]["self_assessment"],
                                   found["dimensions"][name]["orderer_feedback"]))
                  for name, label in DIMENSION_NAMES.items()]
    groups = [Group(_group_label(by, group), (cell["answer_rate"],)) for group, cell in found["by"][by].items()]
    return [
        bar_chart("chart-dimensions", _("Self-assessment against the orderer's feedback"),
                  _("The average of each shared dimension, from 1 to 5, on both forms."), both, dimensions,
                  scale=5, hidden=_("hidden"), none=_("no answers")),
        bar_chart("chart-answer-rate", f"{_('Answer rate')}: {_(dict(BREAKDOWNS)[by])}",
                  _("The share of the forms requested that were answered, in each group."), (_("Answer rate"),),
                  groups, scale=1, hidden=_("hidden"), none=_("no answers"), percent=True),
    ]


def _group_label(by: str, group: str) -> str:
    if group == "unknown":
        return _("Unknown")
    if by == "orderer_kind":
        return _(ORDERER_KINDS.get(group, group))
    return _(TASK_TYPES.get(group, group)) if by == "task_type" else group


def _values(request: Request) -> dict[str, str]:
    today = dt.date.today()
    period = {"from": today.replace(month=1, day=1), "until": today}  # this year so far, unless asked otherwise
    values = {f"{name}-{part}": str(getattr(day, part)) for name, day in period.items()
              for part in ("day", "month", "year")}
    values["by"] = "month"
    values.update({key: request.query_params[key] for key in request.query_params})
    return values


def _period(values: dict[str, str]) -> dict[str, Any]:
    body = REPORT_FORM.body(values)
    body.pop("by", None)
    return body


async def _question_texts(request: Request, person: Any) -> dict[str, str]:
    """Each question id's text in the person's language: the current questions', else the first version's."""
    texts: dict[str, str] = {}
    for asked in ({"version": 1}, {}):
        found = await ask(request, person, "feedback.query.feedback_questions", asked)
        for questions in found["forms"].values():
            texts.update({q["id"]: q["text"].get(language()) or q["text"]["fi"] for q in questions})
    return texts


async def report(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    values = _values(request)
    found: Any = None
    problems = Problems()
    try:
        found = await ask(request, person, "feedback.query.follow_up_report", _period(values))
    except RemoteError as error:
        if error.code != "validation":
            raise
        problems = problems_of(REPORT_FORM, error)
    by = values["by"] if values["by"] in dict(BREAKDOWNS) else "month"
    query = urlencode({key: value for key, value in values.items() if key != "by"})
    return render(request, "coordinator/report.html", {
        "report": found, "form": REPORT_FORM, "values": values, "problems": problems, "by": by,
        "breakdown_label": dict(BREAKDOWNS)[by], "breakdown_headers": _breakdown_headers(by),
        "DIMENSION_NAMES": DIMENSION_NAMES, "csv_link": f"/coordinator/report.csv?{query}",
        "question_texts": await _question_texts(request, person) if found else {},
        "charts": charts(found, by) if found else [], "group_label": _group_label,
    }, person=person, status=400 if problems else 200)


async def report_csv(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    values = _values(request)
    found = await ask(request, person, "feedback.query.follow_up_report", {**_period(values), "format": "csv"})
    # The byte order mark lets a spreadsheet read the file as UTF-8.
    return Response("\ufeff" + found["csv"], media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="follow-up.csv"'})


async def wellbeing(request: Request) -> Response:
    """The contact person's list of their organization's experts to get in touch with after a hard assignment."""
    person = await acting_as(request, "organization_contact")
    found = await ask(request, person, "feedback.query.wellbeing_follow_ups")
    register = await ask(request, person, "registry.query.list_experts",
                         {"organization_id": person.act.organization_id})
    names = {expert["expert_id"]: expert["name"] for expert in register}
    return render(request, "organization/wellbeing.html", {"follow_ups": found["follow_ups"], "names": names},
                  person=person)


async def handled(request: Request) -> Response:
    person = await acting_as(request, "organization_contact")
    await posted(request)
    follow_up_id = str(request.path_params["follow_up_id"])
    try:
        await ask(request, person, "feedback.cmd.handle_wellbeing_follow_up", {"follow_up_id": follow_up_id})
    except RemoteError as error:
        if error.code != "conflict":  # handled by another contact person meanwhile: it is gone from the list
            raise
    return redirect("/organization/wellbeing", N_("The follow-up is marked handled."), request)


ROUTES = [
    Route("/coordinator/report", report),
    Route("/coordinator/report.csv", report_csv),
    Route("/organization/wellbeing", wellbeing),
    Route("/organization/wellbeing/{follow_up_id:uuid}/handled", handled, methods=["POST"]),
]

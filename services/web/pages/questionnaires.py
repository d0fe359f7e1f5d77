"""The coordinator's questionnaire pages: each form's current questions, and a new version defined on a form
with one group of fields a question (its identifier, kind, shared dimension, texts in three languages, and the
options of a choice question)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _, language
from services.web.pages.common import Refused, acting_as, ask, handle_form
from services.web.pages.follow_up import DIMENSION_NAMES
from services.web.rendering import render

FORMS = {"self_assessment": N_("Self-assessment"), "orderer_feedback": N_("Orderer's feedback")}
KINDS = (("scale", N_("Scale from 1 to 5")), ("choice", N_("One of options")), ("text", N_("Free text")))
DIMENSIONS = tuple(DIMENSION_NAMES.items())
LANGUAGE_LABELS = (("fi", N_("Text in Finnish")), ("sv", N_("Text in Swedish")), ("en", N_("Text in English")))
SPARE_ROWS = 3  # empty groups for new questions below the current ones
PARTS = ("id", "kind", "dimension", "text.fi", "text.sv", "text.en", "options")


def localized(texts: dict[str, str]) -> str:
    return texts.get(language()) or texts["fi"]


def _options_text(question: dict[str, Any]) -> str:
    return "\n".join(" | ".join((o["id"], o["text"]["fi"], o["text"]["sv"], o["text"]["en"]))
                     for o in question.get("options", ()))


def _row(at: int, question: dict[str, Any] | None) -> tuple[Field, ...]:
    q = question or {}
    p = f"questions.{at}"
    texts = q.get("text", {})
    return (
        Field(f"{p}.id", N_("Identifier"), width="short", required=False, default=q.get("id"),
              hint=N_("Small letters, digits and underscores: the key of the answers.")),
        Field(f"{p}.kind", N_("Kind"), kind="select", options=KINDS, required=False, default=q.get("kind")),
        Field(f"{p}.dimension", N_("Shared dimension"), kind="select", options=DIMENSIONS, required=False,
              default=q.get("dimension")),
        *(Field(f"{p}.text.{lang}", label, required=False, default=texts.get(lang)) for lang, label in LANGUAGE_LABELS),
        Field(f"{p}.options", N_("Options of a choice question"), kind="textarea", required=False,
              default=_options_text(q) or None,
              hint=N_("One a line: identifier | Finnish | Swedish | English")),
    )


def _options(text: str) -> list[dict[str, Any]]:
    options = []
    for line in text.splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split("|")]
            named = dict(zip(("fi", "sv", "en"), parts[1:], strict=False))
            options.append({"id": parts[0], "text": named})
    return options


async def _as_list(body: dict[str, Any]) -> dict[str, Any]:
    """The groups in order as the command's list of questions, the empty groups at the end left out."""
    rows = body.get("questions", {})
    questions = [rows.get(str(at), {}) for at in range(max(map(int, rows), default=-1) + 1)]
    for question in questions:
        if isinstance(question.get("options"), str):
            question["options"] = _options(question["options"])
    return {**body, "questions": questions}


async def questionnaires(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    found = await ask(request, person, "feedback.query.feedback_questions", {})
    return render(request, "coordinator/questionnaires.html", {
        "found": found, "forms": FORMS, "kinds": dict(KINDS), "dimensions": dict(DIMENSIONS),
        "localized": localized}, person=person)


async def define(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    form_name = request.path_params["form"]
    if form_name not in FORMS:
        raise Refused("no-such-form", status=404)
    current = await ask(request, person, "feedback.query.feedback_questions", {"form": form_name})
    questions = current["forms"][form_name]
    rows = [_row(at, question) for at, question in enumerate(questions)]
    rows += [_row(len(questions) + spare, None) for spare in range(SPARE_ROWS)]
    form = Form(fields=tuple(f for row in rows for f in row), submit=N_("Save as a new version"))
    return await handle_form(
        request, person, form, "feedback.cmd.define_questionnaire", "coordinator/questionnaire_edit.html",
        {"title": _("New version: %(form)s", form=_(FORMS[form_name])), "rows": rows,
         "version": current["versions"][form_name]},
        "/coordinator/questionnaires", N_("The questionnaire is saved as a new version."),
        extra={"form": form_name}, prepare=_as_list)


ROUTES = [
    Route("/coordinator/questionnaires", questionnaires),
    Route("/coordinator/questionnaires/{form}", define, methods=["GET", "POST"]),
]

"""The forms of an order's page that route it (the coordinator's): to an organization, or to candidates in turn."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from services.web.forms import Field, Form
from services.web.i18n import N_
from services.web.pages.common import ask

CANDIDATES_FORM = Form(fields=(
    Field("candidates", N_("Experts to offer the task to"), kind="list",
          hint=N_("Their ids in order of preference, separated with commas. Any expert who has completed a basic "
                  "training and is an active member of an organization, listed in the bank or not.")),
), submit=N_("Offer to these experts"))


def options(rows: list[dict[str, Any]], key: str, name: str) -> tuple[tuple[str, str], ...]:
    return tuple((row[key], f"{row[name] or row[key]} ({row[key]})") for row in rows)


async def organizations(request: Request, person: Any) -> tuple[tuple[str, str], ...]:
    found = await ask(request, person, "registry.query.list_organizations")
    return options(found, "organization_id", "name")


def route_form(known: tuple[tuple[str, str], ...]) -> Form:
    return Form(fields=(Field("organization_id", N_("Organization"), kind="select", options=known),),
                submit=N_("Route to the organization"))

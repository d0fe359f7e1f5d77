"""A person's own data, from every service, on request (the GDPR's right of access): one readable page and the
same as JSON. The web asks each service as the person, so each answers with exactly what it lets them see; a
service that cannot answer is named, and the rest is still shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.backend import Person
from services.web.i18n import N_
from services.web.pages.common import acting_as, ask
from services.web.rendering import render
from shared.messaging.rpc import RemoteError

Body = Callable[[Person], dict[str, Any]]


def _own(field: str) -> Body:
    return lambda person: {field: person.act.id}


def _nothing(_: Person) -> dict[str, Any]:
    return {}


# (title, subject, body): what each service holds about an expert, asked in the expert's name.
EXPERT_SOURCES: tuple[tuple[str, str, Body], ...] = (
    (N_("Profile"), "registry.query.get_expert", _own("expert_id")),
    (N_("Consents"), "registry.query.consent_history", _own("expert_id")),
    (N_("Who has viewed my profile"), "registry.query.who_viewed", _own("expert_id")),
    (N_("Offers"), "orders.query.list_offers", _nothing),
    (N_("My engagements"), "orders.query.list_engagements", _nothing),
    (N_("Contracts"), "contracts.query.list_contracts", _nothing),
    (N_("My income limit"), "contracts.query.income_summary", _own("expert_id")),
    (N_("Messages to me"), "notifications.query.get_contact", _nothing),
)


async def gather(request: Request, person: Person) -> list[dict[str, Any]]:
    """Every source's answer, in order; a source that cannot answer says why instead."""
    sections = []
    for title, subject, body in EXPERT_SOURCES:
        section: dict[str, Any] = {"title": title, "source": subject}
        try:
            section["data"] = await ask(request, person, subject, body(person))
        except RemoteError as error:
            section["unavailable"] = error.message
        sections.append(section)
    return sections


async def my_data(request: Request) -> Response:
    person = await acting_as(request, "expert")
    return render(request, "expert/my_data.html", {"sections": await gather(request, person)}, person=person)


async def my_data_json(request: Request) -> Response:
    person = await acting_as(request, "expert")
    document = {"person": {"id": person.act.id, "role": person.act.role},
                "sections": await gather(request, person)}
    return Response(json.dumps(document, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-data.json"'})


ROUTES = [
    Route("/expert/my-data", my_data),
    Route("/expert/my-data.json", my_data_json),
]

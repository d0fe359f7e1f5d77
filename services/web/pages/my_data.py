"""A person's own data, from every service, on request (the GDPR's right of access): one readable page and the
same as JSON, for an expert, an orderer and a contact person. The web asks each service as the person, so each
answers with exactly what it lets them see; a service that cannot answer is named, and the rest is still shown.
The page shows the common field names readably (LABELS); the JSON keeps each service's own names."""

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
from services.web.rendering import HOME, render
from shared.messaging.rpc import RemoteError

Body = Callable[[Person], dict[str, Any]]


def _own(field: str) -> Body:
    return lambda person: {field: person.act.id}


def _nothing(_: Person) -> dict[str, Any]:
    return {}


SIGN_INS = (N_("My sign-ins"), "identity.query.my_sign_ins", _nothing)
MESSAGES = (N_("Messages to me"), "notifications.query.get_contact", _nothing)
FEEDBACK = (N_("Feedback"), "feedback.query.my_feedback", _nothing)

# Each service's events with personal data about the person, sealed with their own key (the kernel's my_events):
# the history itself, beside what the views show now.
HISTORY = {
    service: (title, f"{service}.query.my_events", _nothing) for service, title in (
        ("registry", N_("Recorded about me in the registry")), ("orders", N_("Recorded about me in orders")),
        ("contracts", N_("Recorded about me in contracts")), ("feedback", N_("Recorded about me in feedback")),
        ("notifications", N_("Recorded about me in messages")))
}

# (title, subject, body): what each service holds about the person, asked in their own name, by their role.
SOURCES: dict[str, tuple[tuple[str, str, Body], ...]] = {
    "expert": (
        (N_("Profile"), "registry.query.get_expert", _own("expert_id")),
        (N_("Consents"), "registry.query.consent_history", _own("expert_id")),
        (N_("Who has viewed my profile"), "registry.query.who_viewed", _own("expert_id")),
        (N_("Offers"), "orders.query.list_offers", _nothing),
        (N_("My engagements"), "orders.query.list_engagements", _nothing),
        (N_("Contracts"), "contracts.query.list_contracts", _nothing),
        FEEDBACK,
        (N_("My income limit"), "contracts.query.income_summary", _own("expert_id")),
        (N_("Kept under a legal obligation"), "contracts.query.legal_holds", _own("expert_id")),
        MESSAGES,
        SIGN_INS,
        *HISTORY.values(),
    ),
    "orderer": (
        (N_("My record"), "registry.query.my_record", _nothing),
        (N_("My orders"), "orders.query.list_orders", _nothing),
        (N_("My engagements"), "orders.query.list_engagements", _nothing),
        (N_("Contracts"), "contracts.query.list_contracts", _nothing),
        FEEDBACK,
        MESSAGES,
        SIGN_INS,
        *HISTORY.values(),
    ),
    "organization_contact": (
        (N_("My record"), "registry.query.my_record", _nothing),
        MESSAGES,
        SIGN_INS,
        HISTORY["registry"],
        HISTORY["notifications"],
    ),
}

# The services' field names the page shows in the reader's language; any other reads with its underscores as spaces.
LABELS = {
    "name": N_("Name"), "email": N_("E-mail address"), "phone": N_("Phone number"), "language": N_("Language"),
    "expert_id": N_("Expert"), "orderer_id": N_("Orderer"), "orderer_name": N_("Name"),
    "person_id": N_("Person"), "organization_id": N_("Organization"), "organization_name": N_("Organization"),
    "engagement_id": N_("Engagement"), "order_id": N_("Order"), "contract_id": N_("Contract"),
    "topic": N_("Topic"), "place": N_("Place"), "status": N_("Status"), "fee": N_("Fee"), "amount": N_("Amount"),
    "valid_until": N_("Valid until"), "credentials_valid": N_("Credentials valid"), "purpose": N_("Purpose"),
    "at": N_("When"), "kind": N_("Kind"), "viewer_role": N_("Role"), "viewer_name": N_("Viewer"),
    "viewer_id": N_("Viewer"), "viewer_organization_id": N_("Organization"), "looked_at": N_("What I looked at"),
    "sign_ins": N_("Sign-ins"), "provider": N_("Sign-in method"), "begun_at": N_("Began"),
    "ends_at": N_("Valid until"), "ended_at": N_("Ended"),
    "kept": N_("Kept under a legal obligation"), "rule": N_("Rule"), "until": N_("Kept until"),
    "year": N_("Year"), "texts": N_("Answers to free-text questions"), "choices": N_("Choices"),
    "free_text": N_("Free text"), "redacted_by": N_("Erased by the retention rule"), "ratings": N_("Ratings"),
    "what": N_("What"), "payments": N_("Payments"), "kept_after_erasure": N_("Kept after an erasure"),
    "event_type": N_("What was recorded"), "recorded_at": N_("Recorded at"), "stream_id": N_("Record"),
    "data": N_("Contents"), "erased": N_("Erased fields"),
}

# Values the services answer in English that the page shows in the reader's language, by their field's name:
# the contracts service's legal hold (services/contracts/handlers/legal_hold.py, RULE and WHAT).
TRANSLATED = {"rule", "what"}
SERVICE_TEXTS = (
    N_("Kirjanpitolaki 2:10 §: accounting vouchers are kept six years from the end of the year of payment; "
       "the earnings payment reports to the Incomes Register are made from them"),
    N_("payments to the expert: amounts, dates, contracts and engagements (no name, address or other contact)"),
)


async def gather(request: Request, person: Person) -> list[dict[str, Any]]:
    """Every source's answer for the person's role, in order; a source that cannot answer says why instead."""
    sections = []
    for title, subject, body in SOURCES[person.act.role]:
        section: dict[str, Any] = {"title": title, "source": subject}
        try:
            section["data"] = await ask(request, person, subject, body(person))
        except RemoteError as error:
            section["unavailable"] = error.message
        sections.append(section)
    return sections


def _pages(role: str) -> list[Route]:
    home = HOME[role]

    async def page(request: Request) -> Response:
        person = await acting_as(request, role)
        return render(request, "my_data.html", {"sections": await gather(request, person), "labels": LABELS,
                                                "translated": TRANSLATED, "home": home}, person=person)

    async def download(request: Request) -> Response:
        person = await acting_as(request, role)
        document = {"person": {"id": person.act.id, "role": person.act.role},
                    "sections": await gather(request, person)}
        return Response(json.dumps(document, ensure_ascii=False, indent=2), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="my-data.json"'})

    return [Route(f"{home}/my-data", page), Route(f"{home}/my-data.json", download)]


ROUTES = [route for role in SOURCES for route in _pages(role)]

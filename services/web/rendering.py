"""Pages from Jinja2 templates, in the request's language, with what every page shows: who is signed in and
in which capacity, the navigation of that capacity, the language choice, the one-time notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from services.web import i18n
from services.web.backend import Person
from services.web.i18n import N_
from services.web.security import CSRF_FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"

ROLE_NAMES = {
    "coordinator": N_("Coordinator"), "organization_contact": N_("Contact person"), "expert": N_("Experience expert"),
    "orderer": N_("Orderer"), "auditor": N_("Auditor"), "system": N_("The system"),
}
HOME = {"coordinator": "/coordinator", "organization_contact": "/organization", "expert": "/expert",
        "orderer": "/orderer", "auditor": "/auditor"}
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "expert": [("/expert", N_("My profile")), ("/expert/offers", N_("Offers")),
               ("/expert/engagements", N_("My engagements")), ("/expert/income-limit", N_("My income limit")),
               ("/expert/views", N_("Who has viewed my profile")), ("/expert/my-data", N_("My data")),
               ("/notifications", N_("Messages to me"))],
    "orderer": [("/orderer", N_("My orders")), ("/bank", N_("Search the bank")),
                ("/orderer/orders/new", N_("New order")), ("/orderer/engagements", N_("My engagements")),
                ("/notifications", N_("Messages to me"))],
    "organization_contact": [("/organization", N_("Our experts")), ("/organization/orders", N_("Incoming orders")),
                             ("/organization/experts/new", N_("Register an expert")),
                             ("/organization/reviews", N_("Profiles to review")),
                             ("/organization/trainings", N_("Trainings")), ("/bank", N_("Search the bank")),
                             ("/organization/situation", N_("Situational picture")),
                             ("/organization/wellbeing", N_("Wellbeing follow-ups")),
                             ("/organization/agreements", N_("Agreement with the county")),
                             ("/notifications", N_("Messages to me"))],
    "coordinator": [("/coordinator", N_("Organizations")), ("/coordinator/orderers", N_("Orderers")),
                    ("/coordinator/orders", N_("Orders to route")),
                    ("/coordinator/rates", N_("Rate tables")), ("/coordinator/expense-rates", N_("Expense rates")),
                    ("/coordinator/engagements", N_("Engagements")),
                    ("/coordinator/payments", N_("Payments")), ("/coordinator/report", N_("Follow-up")),
                    ("/coordinator/questionnaires", N_("Questionnaires")),
                    ("/coordinator/dead-letters", N_("Dead letters")), ("/coordinator/themes", N_("Themes")),
                    ("/coordinator/reviews", N_("Profiles to review")), ("/coordinator/trainings", N_("Trainings")),
                    ("/bank", N_("Search the bank")), ("/coordinator/situation", N_("Situational picture")),
                    ("/coordinator/access-log", N_("Who looked at whom")), ("/notifications", N_("Messages"))],
    "auditor": [("/auditor", N_("Engagements")), ("/auditor/verify", N_("Verify the stores"))],
}
STATUS_NAMES = {
    "opened": N_("Accepted, contract being made"), "confirmed": N_("Contract signed"), "delivered": N_("Delivered"),
    "fee_approved": N_("Fee approved"), "feedback_complete": N_("Feedback given"), "closed": N_("Closed"),
    "cancelled": N_("Cancelled"), "open": N_("Waiting for an answer"), "accepted": N_("Accepted"),
    "declined": N_("Declined"), "expired": N_("Expired"), "withdrawn": N_("Withdrawn"),
    "drafted": N_("Waiting for signatures"), "partly_signed": N_("Signed by one party"),
    "fully_signed": N_("Signed by both"), "paid": N_("Paid"), "answered": N_("Answered"),
    "pending": N_("Waiting for approval"), "approved": N_("Approved"), "returned": N_("Returned"),
    "to_sign": N_("Waiting for signatures"), "renewal_to_sign": N_("Renewal waiting for signatures"),
    "in_force": N_("In force"), "ended": N_("Ended"),
}
SERVICE_NAMES = {
    "registry": N_("Registry"), "orders": N_("Orders"), "contracts": N_("Contracts"), "feedback": N_("Feedback"),
    "audit": N_("Audit trail"), "identity": N_("Sign-in"),
}
TRAININGS = {"basic training": N_("Basic training"), "supplementary training": N_("Supplementary training")}
TASK_TYPES = {
    "lecture": N_("Talk or lecture"), "co_teaching": N_("Co-teaching"), "development_group": N_("Development group"),
    "service_evaluation": N_("Service evaluation"), "peer_support": N_("Peer support"), "media": N_("Media work"),
    "other": N_("Other work"),
}

EXPENSE_KINDS = {  # the contracts service's expense line kinds
    "car": N_("Own car"), "public_transport": N_("Public transport ticket"), "parking": N_("Parking"),
    "per_diem": N_("Per diem"), "meal_allowance": N_("Meal allowance"),
}

QUESTION_TEXTS = {  # the feedback service's question ids, in the catalogues
    "preparation": N_("I was given enough information to prepare for the assignment."),
    "own_wellbeing": N_("The assignment did not strain me more than I could carry."),
    "experience_heard": N_("My lived experience was heard and valued."),
    "would_do_again": N_("I would take a similar assignment again."),
    "usefulness": N_("The expert's lived experience was useful for our work."),
    "expert_preparation": N_("The expert was well prepared for the task."),
    "cooperation": N_("Agreeing and carrying out the assignment went smoothly."),
    "would_order_again": N_("We would order an experience expert again."),
}

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
environment.filters.update(training=lambda name: i18n.gettext(TRAININGS[name]) if name in TRAININGS else name,
                           date=i18n.date, datetime=i18n.datetime, number=i18n.number, euros=i18n.euros)
environment.globals.update(SERVICE_NAMES=SERVICE_NAMES, QUESTIONS=QUESTION_TEXTS, ROLE_NAMES=ROLE_NAMES,
                           STATUS_NAMES=STATUS_NAMES, TASK_TYPES=TASK_TYPES, EXPENSE_KINDS=EXPENSE_KINDS,
                           LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
                           CSRF_FIELD=CSRF_FIELD)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200,
           person: Person | None = None) -> HTMLResponse:
    session = request.scope.get("session", {})
    values: dict[str, Any] = {
        "request": request, "lang": i18n.language(), "csrf": csrf_token(session), "person": person,
        "navigation": NAVIGATION.get(person.act.role, []) if person else [], "path": request.url.path,
        "notice": session.pop("notice", None) if session.get("notice") else None,
        "development": request.app.state.settings.development_sign_in,
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)

"""The auditor's pages: every engagement, each one's history from every service, and verifying the stores."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.i18n import gettext as _
from services.web.pages.common import acting_as, ask
from services.web.rendering import SERVICE_NAMES, render
from shared.messaging.rpc import RemoteError

VERIFIED = ("registry", "orders", "contracts", "feedback", "identity")
SOURCES = ("registry", "orders", "contracts", "feedback")  # the services whose events the audit keeps


async def engagements(request: Request) -> Response:
    person = await acting_as(request, "auditor")
    rows = await ask(request, person, "orders.query.list_engagements")
    return render(request, "auditor/engagements.html", {"engagements": rows}, person=person)


async def history(request: Request) -> Response:
    person = await acting_as(request, "auditor", "coordinator")
    engagement_id = str(request.path_params["engagement_id"])
    trail = await ask(request, person, "audit.query.history", {"engagement_id": engagement_id})
    return render(request, "auditor/history.html", {"trail": trail, "engagement_id": engagement_id}, person=person)


async def verify(request: Request) -> Response:
    person = await acting_as(request, "auditor")
    reports = []
    audit = await ask(request, person, "audit.query.verify_trail")
    reports.extend(audit["stores"])
    for service in VERIFIED:
        try:
            reports.append({**await ask(request, person, f"{service}.query.verify"), "service": service})
            if service in SOURCES:  # a removed last event or a rewritten chain shows only against the copies
                copied = await ask(request, person, "audit.query.copy_heads", {"service": service})
                heads = await ask(request, person, f"{service}.query.check_heads", {"heads": copied["heads"]})
                reports.append({**heads, "service": service, "store": "heads", "events_checked": len(copied["heads"])})
        except RemoteError as error:
            reports.append({"service": service, "store": service, "intact": None, "error": error.message,
                            "events_checked": 0, "breaks": []})
    for report in reports:
        report["label"] = _store_label(report)
    intact = all(report["intact"] for report in reports)
    return render(request, "auditor/verify.html", {"reports": reports, "intact": intact}, person=person)


def _store_label(report: dict[str, Any]) -> str:
    service = _(SERVICE_NAMES.get(report["service"], report["service"]))
    if report["store"] == "audit trail":
        return _("The audit trail's own chains")
    if str(report["store"]).endswith("copy in audit"):
        return _("%(service)s: the audit's copies", service=service)
    if report["store"] == "heads":
        return _("%(service)s: its last events against the audit's copies", service=service)
    return _("%(service)s: its own store", service=service)


ROUTES = [
    Route("/auditor", engagements),
    Route("/auditor/verify", verify),
    Route("/engagements/{engagement_id:uuid}/history", history),
]

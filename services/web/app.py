"""The web application: its middleware (the sealed session, the language, the security headers), the pages of
every kind of person, and the pages for refusals and errors. ``create_app`` takes the transport to the services
(NATS in the running web, a fake in unit tests)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from services.web import i18n
from services.web.backend import Backend, Transport
from services.web.cookies import LANGUAGE_COOKIE, SealedSessionMiddleware
from services.web.i18n import N_, gettext as _
from services.web.pages import (
    agreements,
    auditor,
    coordinator,
    engagement,
    engagement_change,
    expenses,
    expert,
    follow_up,
    income,
    my_data,
    notifications,
    orderer,
    organization,
    payments,
    questionnaires,
    registry_expert,
    registry_staff,
    routing,
    signin,
)
from services.web.pages.common import FormTokenRefused, Refused, SignInRequired
from services.web.rendering import render
from services.web.security import SecurityHeadersMiddleware
from services.web.settings import WebSettings
from shared.messaging import rpc

log = logging.getLogger("kokemus.web")
STATIC = Path(__file__).parent / "static"

REFUSALS = {
    "not-your-page": (N_("This page is not for you"),
                      N_("The page belongs to another role or another person. If you have several roles, change "
                         "your role at the top of the page.")),
    "sign-in-failed": (N_("Sign-in did not succeed"), N_("The sign-in was interrupted or had expired. Try again.")),
    "no-such-provider": (N_("Page not found"), N_("There is no such sign-in here.")),
    "development-off": (N_("Page not found"), N_("The development sign-in is not in use here.")),
    "no-such-role": (N_("Role not found"), N_("Choose one of your roles from the list.")),
    "no-such-service": (N_("Page not found"), N_("There is no such service.")),
}
BY_CODE = {
    "forbidden": (403, N_("You may not see this"), N_("Only the people whose work it is may see or change this.")),
    "not_found": (404, N_("Not found"), N_("It was not found, or it is not ready yet. Try again in a moment.")),
    "unavailable": (503, N_("The service did not answer"), N_("Nothing was saved. Try again in a moment.")),
    "conflict": (409, N_("This cannot be done now"), N_("Its state has changed. Go back and reload the page.")),
    "validation": (400, N_("Check the address"), N_("The address of the page is not right.")),
}


class LanguageMiddleware:
    """Each request in the person's language: their choice (a cookie), else their browser's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            i18n.activate(i18n.from_request(request.cookies.get(LANGUAGE_COOKIE),
                                            request.headers.get("accept-language")))
        await self.app(scope, receive, send)


async def sign_in_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/sign-in", status_code=303)


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    title, explanation = REFUSALS.get(exc.reason, (N_("You may not see this"), ""))
    reason = None if exc.reason in REFUSALS else exc.reason
    return render(request, "refusal.html", {"title": _(title), "explanation": _(explanation) if explanation else
                                            _("Only the people whose work it is may see or change this."),
                                            "reason": reason}, status=exc.status)


async def form_token_refused(request: Request, exc: Exception) -> Response:
    return render(request, "refusal.html", {
        "title": _("The form had expired"),
        "explanation": _("For your safety the form was not sent. Go back, reload the page and send it again."),
        "reason": None}, status=403)


async def remote_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, rpc.RemoteError)
    if exc.code == "unauthenticated":
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)
    status, title, explanation = BY_CODE.get(exc.code, BY_CODE["unavailable"])
    return render(request, "refusal.html", {"title": _(title), "explanation": _(explanation),
                                            "reason": exc.message}, status=status)


async def failure(request: Request, exc: Exception) -> Response:
    # Logged without the address or the form: either may name a person.
    log.error("a page failed: %s", type(exc).__name__, exc_info=exc)
    return render(request, "refusal.html", {
        "title": _("Something went wrong"),
        "explanation": _("Nothing more was saved. Go back and try again; if it happens again, tell the coordinator."),
        "reason": None}, status=500)


def nats_transport(settings: WebSettings, holder: dict[str, Any]) -> Transport:
    async def send(subject: str, body: dict[str, Any], token: str | None) -> Any:
        return await rpc.request(holder["nc"], subject, body, token=token, timeout=settings.request_timeout_seconds)

    return send


def create_app(settings: WebSettings, transport: Transport | None = None) -> Starlette:
    """The web application; with no ``transport`` it connects to NATS when it starts."""
    holder: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if transport is None:
            holder["nc"] = await nats.connect(**settings.nats_connect_options(), name="kokemus-web")
        try:
            yield
        finally:
            if "nc" in holder:
                await holder["nc"].drain()

    routes = [*signin.ROUTES, *registry_expert.ROUTES, *registry_staff.ROUTES,
              *expert.ROUTES, *orderer.ROUTES, *organization.ROUTES, *coordinator.ROUTES, *agreements.ROUTES,
              *auditor.ROUTES, *engagement.ROUTES, *engagement_change.ROUTES, *expenses.ROUTES, *routing.ROUTES,
              *payments.ROUTES, *income.ROUTES, *my_data.ROUTES, *notifications.ROUTES, *questionnaires.ROUTES,
              *follow_up.ROUTES,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    providers = settings.providers()
    middleware = [
        Middleware(SecurityHeadersMiddleware, form_targets=[issuer for issuer, *_ in providers.values()]),
        Middleware(SealedSessionMiddleware, key=settings.web_cookie_key.get_secret_value(),
                   max_age_seconds=int(settings.web_session_hours * 3600), secure=settings.cookie_secure),
        Middleware(LanguageMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={
        SignInRequired: sign_in_required, Refused: refused, FormTokenRefused: form_token_refused,
        rpc.RemoteError: remote_error, Exception: failure,
    })
    async def readyz(request: Request) -> Response:
        """Ready while NATS is connected (a fake transport in tests is always ready)."""
        nc = holder.get("nc")
        ready = transport is not None or (nc is not None and nc.is_connected)
        return Response('{"status":"ready"}' if ready else '{"status":"not ready"}', status_code=200 if ready else 503,
                        media_type="application/json")

    app.add_route("/readyz", readyz)
    app.state.settings = settings
    app.state.backend = Backend(transport or nats_transport(settings, holder))
    app.state.oauth = signin.oauth_clients(providers)
    return app

"""Signing in (the county's providers with the authorization code flow and PKCE, or the development sign-in),
choosing the capacity to act in, the language, and signing out."""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from services.web import i18n
from services.web.cookies import LANGUAGE_COOKIE, cookie_flags
from services.web.forms import Field, Form, Problems, problems_of
from services.web.i18n import N_, gettext as _
from services.web.pages.common import Refused, backend, posted, redirect, signed_in
from services.web.rendering import HOME, render
from shared.messaging.rpc import RemoteError

DEVELOPMENT_FORM = Form(fields=(
    Field("email", N_("E-mail address"), kind="email", required=False, autocomplete="email",
          hint=N_("Sign in as the expert, contact person or orderer registered with this address.")),
    Field("staff_role", N_("Or as county staff"), kind="radios", required=False,
          options=(("coordinator", N_("Coordinator")), ("auditor", N_("Auditor")))),
), submit=N_("Sign in"), aliases=(("(message)", "email"),))  # "give an email, a staff_role, or both"


def oauth_clients(providers: dict[str, tuple[str, str, Any, str]]) -> OAuth:
    oauth = OAuth()
    for name, (issuer, client_id, secret, scope) in providers.items():
        oauth.register(name, client_id=client_id, client_secret=secret.get_secret_value() if secret else None,
                       server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
                       client_kwargs={"scope": scope, "code_challenge_method": "S256"})
    return oauth


def begin_session(request: Request, answer: dict[str, Any]) -> Response:
    """A fresh cookie for the signed-in person: nothing of the anonymous one carries over (no fixation)."""
    language = request.session.get("lang")
    request.session.clear()
    request.session["identity"] = answer["session"]
    request.session["act"] = answer["act"]
    if language:
        request.session["lang"] = language
    return redirect(HOME.get(answer["act"]["role"], "/"), N_("You are signed in."), request)


async def front(request: Request) -> Response:
    if not request.session.get("identity"):
        return RedirectResponse("/sign-in", status_code=303)
    person = await signed_in(request)
    return RedirectResponse(HOME.get(person.act.role, "/sign-in"), status_code=303)


async def sign_in_page(request: Request) -> Response:
    return render(request, "sign_in.html", {"providers": request.app.state.settings.providers()})


async def development_sign_in(request: Request) -> Response:
    if not request.app.state.settings.development_sign_in:
        raise Refused("development-off", status=404)
    values: dict[str, Any] = {}
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data}
        try:
            answer = await backend(request).sign_in("development_sign_in", {**DEVELOPMENT_FORM.body(data),
                                                                            "act_as": {}})
        except RemoteError as error:
            problems = problems_of(DEVELOPMENT_FORM, error)
        else:
            return begin_session(request, answer)
    return render(request, "form_page.html", {
        "title": _("Development sign-in"), "form": DEVELOPMENT_FORM, "values": values, "problems": problems,
        "intro": _("Only for trying the system out: anyone can sign in as anyone here."), "back": "/sign-in",
    }, status=400 if problems else 200)


async def provider_sign_in(request: Request) -> Response:
    provider = request.path_params["provider"]
    client = request.app.state.oauth.create_client(provider)
    if client is None:
        raise Refused("no-such-provider", status=404)
    callback = f"{request.app.state.settings.web_public_url}/auth/{provider}/callback"
    response: Response = await client.authorize_redirect(request, callback)
    return response


async def provider_callback(request: Request) -> Response:
    provider = request.path_params["provider"]
    client = request.app.state.oauth.create_client(provider)
    if client is None:
        raise Refused("no-such-provider", status=404)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as error:
        raise Refused("sign-in-failed", status=400) from error
    try:
        answer = await backend(request).sign_in("sign_in", {"provider": provider, "id_token": token["id_token"],
                                                            "act_as": {}})
    except RemoteError as error:
        raise Refused(error.message) from None
    return begin_session(request, answer)


async def sign_out(request: Request) -> Response:
    if request.method == "GET":
        person = await signed_in(request)
        return render(request, "sign_out.html", person=person)
    data = await posted(request)
    secret = request.session.get("identity")
    if secret:
        try:
            await backend(request).sign_out(secret, everywhere=data.get("everywhere") == "yes")
        except RemoteError as error:
            if error.code != "unauthenticated":  # already ended: signed out all the same
                raise
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return redirect("/sign-in", N_("You are signed out."), request)


async def switch_role(request: Request) -> Response:
    person = await signed_in(request)
    data = await posted(request)
    choice = str(data.get("act", ""))
    if not choice.isdigit() or int(choice) >= len(person.acts):
        raise Refused("no-such-role", status=400)
    chosen = person.acts[int(choice)]
    request.session["act"] = chosen.as_dict()
    return redirect(HOME.get(chosen.role, "/"), N_("Your role is changed."), request)


async def choose_language(request: Request) -> Response:
    data = await posted(request)
    language = str(data.get("lang", ""))
    target = str(data.get("next") or "/")
    if not target.startswith("/") or target.startswith("//"):  # only back to a page of ours
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if language in i18n.LANGUAGES:
        secure = request.app.state.settings.cookie_secure
        response.headers.append("Set-Cookie", f"{LANGUAGE_COOKIE}={language}{cookie_flags(365 * 24 * 3600, secure)}")
    return response


async def healthz(request: Request) -> Response:
    return Response('{"status":"alive"}', media_type="application/json")


ROUTES = [
    Route("/", front),
    Route("/sign-in", sign_in_page),
    Route("/sign-in/development", development_sign_in, methods=["GET", "POST"]),
    Route("/sign-in/{provider:str}", provider_sign_in),
    Route("/auth/{provider:str}/callback", provider_callback),
    Route("/sign-out", sign_out, methods=["GET", "POST"]),
    Route("/role", switch_role, methods=["POST"]),
    Route("/language", choose_language, methods=["POST"]),
    Route("/healthz", healthz),
]

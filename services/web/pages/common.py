"""What every page does: find who is signed in, check the page is for their capacity, ask the services as
them, read a posted form (after checking its token), and answer a form with its errors or a redirect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.web.backend import Backend, Person
from services.web.forms import Form, Problems, problems_of
from services.web.rendering import render
from services.web.security import CSRF_FIELD, csrf_valid, same_origin
from shared.messaging.rpc import RemoteError


class SignInRequired(Exception):
    """Nobody is signed in (or their session has ended): the sign-in page, then back."""


class Refused(Exception):
    """This person may not see this page: a refusal page, with the reason."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class FormTokenRefused(Exception):
    """A form without this session's token, or from another site."""


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


async def signed_in(request: Request) -> Person:
    session = request.session
    secret = session.get("identity")
    if not secret:
        raise SignInRequired
    try:
        person = await backend(request).person(secret, session.get("act"))
    except RemoteError as error:
        if error.code in ("unauthenticated", "forbidden"):  # ended, expired, or no role left
            session.clear()
            raise SignInRequired from None
        raise
    if session.get("act") != person.act.as_dict():
        session["act"] = person.act.as_dict()
    return person


async def acting_as(request: Request, *roles: str) -> Person:
    """The signed-in person, if they act in one of ``roles`` now; otherwise a refusal."""
    person = await signed_in(request)
    if person.act.role not in roles:
        raise Refused("not-your-page")
    return person


async def ask(request: Request, person: Person, subject: str, body: dict[str, Any] | None = None) -> Any:
    return await backend(request).ask(person, f"kokemus.{subject}", body or {})


MAX_FILE_PART = 16 * 1024 * 1024


async def posted(request: Request) -> FormData:
    """The posted form, once its token and origin check out."""
    # A part may be a file larger than any the services take (a phone photo), so that the page can say so at its
    # field instead of the whole post failing; Starlette keeps a part over 1 MiB in a temporary file.
    data = await request.form(max_part_size=MAX_FILE_PART)
    if not csrf_valid(request.session, data.get(CSRF_FIELD)) or \
            not same_origin(request.headers.get("origin"), request.app.state.settings.web_public_url):
        raise FormTokenRefused
    return data


def redirect(url: str, notice: str | None = None, request: Request | None = None) -> RedirectResponse:
    if notice and request is not None:
        request.session["notice"] = notice
    return RedirectResponse(url, status_code=303)


Success = Callable[[Any], str | Awaitable[str]]  # the command's result -> where to go next
Check = Callable[[FormData], Awaitable[Problems]]  # what the page itself finds wrong before sending


async def handle_form(request: Request, person: Person, form: Form, subject: str, template: str,
                      context: dict[str, Any], success: Success | str, notice: str,
                      extra: dict[str, Any] | None = None,
                      prepare: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
                      check: Check | None = None) -> Response:
    """Show the form (GET), or send its command (POST): on success a redirect with a notice, on an error
    the same page with each problem next to its field (status 400, so that it is no silent success). ``check``
    finds what cannot be sent at all (a file too large for a message), shown the same way."""
    values: dict[str, Any] = {}
    problems = Problems()
    if request.method == "POST":
        data = await posted(request)
        values = {key: data.get(key) for key in data if isinstance(data.get(key), str)}
        body = {**form.body(data), **(extra or {})}
        if prepare is not None:
            body = await prepare(body)
        problems = await check(data) if check is not None else Problems()
        try:
            result = None if problems else await ask(request, person, subject, body)
        except RemoteError as error:
            if error.code == "unauthenticated":
                raise SignInRequired from None
            problems = problems_of(form, error)
        if not problems:
            target = success(result) if callable(success) else success
            return redirect(target if isinstance(target, str) else await target, notice, request)
    return render(request, template, {"form": form, "values": values, "problems": problems, **context},
                  person=person, status=400 if problems else 200)

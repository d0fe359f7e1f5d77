"""Headers every answer carries, and the form token every form posts back.

The Content-Security-Policy allows nothing inline: the stylesheet and images come from this origin, no
script runs at all (every path works without one), forms post only here and to the configured providers,
and no other site may frame a page. Pages of a signed-in person are never stored by a browser or a proxy.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf_token"


def content_security_policy(form_targets: list[str]) -> str:
    actions = " ".join(["'self'", *form_targets])
    return ("default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; script-src 'none'; "
            f"form-action {actions}; frame-ancestors 'none'; base-uri 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, form_targets: list[str]) -> None:
        self.app = app
        origins = sorted({f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in form_targets})
        self.headers = {
            "Content-Security-Policy": content_security_policy(origins),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's form token, made on first use: every form carries it in a hidden field."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


def csrf_valid(session: dict[str, Any], posted: object) -> bool:
    expected = session.get("csrf")
    return bool(expected) and isinstance(posted, str) and hmac.compare_digest(str(expected), posted)


def same_origin(origin_header: str | None, public_url: str) -> bool:
    """A browser names the page a form came from; one from another site is refused even with a token."""
    if origin_header is None:  # older browsers, and non-browser clients: the token alone decides
        return True
    return origin_header.rstrip("/") == public_url

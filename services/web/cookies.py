"""The person's session in one cookie, sealed with Fernet (AES-CBC with an HMAC) under the web's own key: the
browser holds it but can neither read nor change it. It carries the identity service's session secret, the
capacity the person acts in, the form token, a one-time notice, and during a provider sign-in its state.

Set HttpOnly (no script reads it), SameSite=Lax (sent on the provider's redirect back to us, never on
another site's form posts) and Secure (except on http://127.0.0.1, where a browser would not send it back).
It lives ``web_session_hours``; Fernet's timestamp makes an older cookie worthless even if a browser kept it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "kokemus_session"
LANGUAGE_COOKIE = "kokemus_lang"


class SealedSession(dict[str, Any]):
    """The decrypted session; remembers whether it changed, so an unchanged one is not sent back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changed = False

    def __setitem__(self, key: str, value: Any) -> None:
        self.changed = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.changed = True
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.changed = True
        return super().pop(key, *default)

    def clear(self) -> None:
        self.changed = True
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.changed = True
        super().update(*args, **kwargs)


def cookie_flags(max_age: int | None, secure: bool) -> str:
    flags = "; Path=/; HttpOnly; SameSite=Lax"
    if max_age is not None:
        flags += f"; Max-Age={max_age}"
    return flags + ("; Secure" if secure else "")


class SealedSessionMiddleware:
    """Puts the decrypted session in ``scope["session"]`` (where Starlette's ``request.session`` and Authlib
    look) and seals it into the cookie again when it changed."""

    def __init__(self, app: ASGIApp, key: str, max_age_seconds: int, secure: bool) -> None:
        self.app = app
        self.fernet = Fernet(key.encode())
        self.max_age = max_age_seconds
        self.secure = secure

    def open(self, sealed: str | None) -> SealedSession:
        if not sealed:
            return SealedSession()
        try:
            return SealedSession(json.loads(self.fernet.decrypt(sealed.encode(), ttl=self.max_age)))
        except (InvalidToken, ValueError):
            return SealedSession()  # expired, or not ours: start afresh

    def seal(self, session: dict[str, Any]) -> str:
        return self.fernet.encrypt_at_time(json.dumps(session).encode(), int(time.time())).decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self.open(HTTPConnection(scope).cookies.get(SESSION_COOKIE))
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.changed:
                headers = MutableHeaders(scope=message)
                if session:
                    value = self.seal(session)
                    headers.append("Set-Cookie", f"{SESSION_COOKIE}={value}{cookie_flags(self.max_age, self.secure)}")
                else:
                    headers.append("Set-Cookie", f"{SESSION_COOKIE}=deleted{cookie_flags(0, self.secure)}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

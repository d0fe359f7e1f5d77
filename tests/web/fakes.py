"""The web with a fake of the services behind it: answers by subject, and a record of what was asked."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from starlette.testclient import TestClient

from services.web.app import create_app
from services.web.settings import WebSettings

ORIGIN = "http://127.0.0.1:8000"


def capacity(role: str, id: str, organization_id: str | None = None) -> dict[str, Any]:
    return {"role": role, "id": id, "organization_id": organization_id}


@dataclass
class FakeServices:
    """Answers the identity service's requests for one person, and others from ``answers`` (a value, or a
    function of the body that returns one or raises RemoteError)."""

    acts: list[dict[str, Any]] = field(default_factory=lambda: [capacity("coordinator", "anna")])
    answers: dict[str, Any] = field(default_factory=dict)
    asked: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    ended: bool = False

    def identity(self, act_as: dict[str, Any]) -> dict[str, Any]:
        act = next((a for a in self.acts if all(a.get(k) == v for k, v in act_as.items())), self.acts[0])
        return {"session": "s" * 43, "token": f"token-for-{act['id']}", "expires_at": "2099-01-01T00:00:00+00:00",
                "act": act, "acts": self.acts}

    async def __call__(self, subject: str, body: dict[str, Any], token: str | None) -> Any:
        from shared.messaging.rpc import RemoteError

        self.asked.append((subject, body, token))
        name = subject.removeprefix("kokemus.")
        if name in ("identity.cmd.development_sign_in", "identity.cmd.sign_in"):
            return self.identity(body.get("act_as", {}))
        if name == "identity.query.token":
            if self.ended:
                raise RemoteError("unauthenticated", "the session has ended: sign in again")
            return self.identity(body.get("act_as", {}))
        if name == "identity.cmd.sign_out":
            self.ended = True
            return {"signed_out": 1}
        answer = self.answers.get(name, {})
        return answer(body) if callable(answer) else answer


def web_client(services: FakeServices, raise_server_exceptions: bool = True, **settings: Any) -> TestClient:
    values: dict[str, Any] = {"web_cookie_key": Fernet.generate_key().decode(), "development_sign_in": True,
                              "web_public_url": ORIGIN}
    values.update(settings)
    return TestClient(create_app(WebSettings(**values), services), base_url=values["web_public_url"],
                      raise_server_exceptions=raise_server_exceptions)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found[1]


def sign_in(client: TestClient, **who: str) -> Any:
    page = client.get("/sign-in/development")
    return client.post("/sign-in/development", data={"csrf_token": form_token(page.text), **who},
                       follow_redirects=False)


Check = Callable[[Any], None]

"""How a process reaches NATS: where, as which user, with which reply inbox, over TLS or not. One definition for
the services, the web and the command line, so each connects the same way.

Each user gets replies on an inbox of its own (``_INBOX_<user>.>``): the server lets no other user subscribe there,
so no client can read the replies meant for another (deploy/nats/permissions.yaml grants each user only its own).
"""

from __future__ import annotations

import re
import ssl
from typing import Any

from faststream.nats.security import NatsSecurity, NatsUserPassword
from pydantic import BaseModel, Field, SecretStr, field_validator

DEFAULT_INBOX = "_INBOX"


class NatsAccess(BaseModel):
    """The NATS settings every process shares (a mixin of the services' and the web's settings)."""

    nats_url: str = Field("nats://127.0.0.1:14222", description="NATS server URL(s), comma-separated")
    nats_user: str | None = Field(None, description="the NATS user to connect as (each service its own)")
    nats_password: SecretStr | None = None
    nats_tls_ca: str | None = Field(None, description="a CA certificate file: connect over TLS, checking the "
                                                      "server's certificate against it")

    @field_validator("nats_url")
    @classmethod
    def _nats_urls(cls, value: str) -> str:
        for url in value.split(","):
            if not re.match(r"^(nats|tls|ws|wss)://[^/\s]+$", url.strip()):
                raise ValueError(f"expected nats://host:port (comma-separated for several), got {url!r}")
        return value

    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",")]

    def nats_inbox_prefix(self) -> str:
        return f"{DEFAULT_INBOX}_{self.nats_user}" if self.nats_user else DEFAULT_INBOX

    def nats_tls(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.nats_tls_ca) if self.nats_tls_ca else None

    def nats_password_text(self) -> str | None:
        return self.nats_password.get_secret_value() if self.nats_password else None

    def nats_connect_options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``."""
        options: dict[str, Any] = {"servers": self.nats_servers(), "inbox_prefix": self.nats_inbox_prefix()}
        if self.nats_user:
            options.update(user=self.nats_user, password=self.nats_password_text())
        if self.nats_tls_ca:
            options["tls"] = self.nats_tls()
        return options

    def nats_broker_options(self) -> dict[str, Any]:
        """Keyword arguments for FastStream's ``NatsBroker``."""
        security: NatsSecurity | None = None
        if self.nats_user:
            security = NatsUserPassword(self.nats_user, self.nats_password_text() or "", ssl_context=self.nats_tls())
        elif self.nats_tls_ca:
            security = NatsSecurity(ssl_context=self.nats_tls())
        return {"servers": self.nats_servers(), "inbox_prefix": self.nats_inbox_prefix(), "security": security}

"""Stand-ins for the county's mail relay and the SMS provider, in the test process: a real SMTP server
(aiosmtpd) that refuses or defers the addresses it is told to, and an HTTP server taking text messages."""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from kokemus.stack.servers import free_port
from kokemus.stack.sinks import text_message_server


@dataclass
class MailRelay:
    """Keeps every message it takes; refuses the addresses in ``refused`` for good (5xx) and defers each of
    ``busy_once`` once (4xx)."""

    refused: dict[str, str] = field(default_factory=dict)
    busy_once: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return self.refused[address]
        if address in self.busy_once:
            self.busy_once.discard(address)
            self.deferred.append(address)
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@contextlib.contextmanager
def mail_relay(relay: MailRelay) -> Iterator[int]:
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@dataclass
class SmsGateway:
    texts: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)


@contextlib.contextmanager
def sms_gateway(gateway: SmsGateway) -> Iterator[str]:
    def take(body: dict[str, Any], authorization: str | None) -> None:
        gateway.texts.append(body)
        gateway.keys.append(authorization)

    server = text_message_server(free_port(), take)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/messages"
    finally:
        server.shutdown()
        server.server_close()

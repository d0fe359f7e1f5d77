"""Where the embedded stack's notifications go: a local mail sink (an SMTP server, aiosmtpd) and a text message
sink (an HTTP server standing in for the SMS gateway), both keeping each message as a file in the data
folder, so a person trying the system out reads what would have been sent. ``kokemus up`` starts them and
points the notifications service at them; real deployments set ``KOKEMUS_NOTIFY_SMTP_HOST`` and
``KOKEMUS_NOTIFY_SMS_GATEWAY_URL`` instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kokemus.stack.servers import LOOPBACK

_numbers = itertools.count(1)


def _keep(folder: Path, suffix: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{next(_numbers):04d}.{suffix}"
    path.write_bytes(content)
    return path


class MailFolder:
    """An aiosmtpd handler: each message taken is kept as one ``.eml`` file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        _keep(self.folder, "eml", content)
        return "250 Message accepted for delivery"


def text_message_server(port: int, take: Any) -> ThreadingHTTPServer:
    """An HTTP server that hands each POSTed JSON body (and its Authorization header) to ``take`` and answers
    202: the SMS gateway as the notifications service calls it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            take(json.loads(body or b"{}"), self.headers.get("Authorization"))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # the stack's console is for the stack
            pass

    return ThreadingHTTPServer((LOOPBACK, port), Handler)


@dataclass
class Sinks:
    folder: Path
    smtp_port: int
    sms_port: int
    _controller: Any = None
    _sms: ThreadingHTTPServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def mail_folder(self) -> Path:
        return self.folder / "mail"

    @property
    def text_folder(self) -> Path:
        return self.folder / "sms"

    @property
    def sms_url(self) -> str:
        return f"http://{LOOPBACK}:{self.sms_port}/messages"

    def start(self) -> None:
        from aiosmtpd.controller import Controller  # the embedded extra's: only `kokemus up` needs it

        self._controller = Controller(MailFolder(self.mail_folder), hostname=LOOPBACK, port=self.smtp_port)
        self._controller.start()
        self._sms = text_message_server(self.sms_port, self._keep_text)
        thread = threading.Thread(target=self._sms.serve_forever, name="sms-sink", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _keep_text(self, body: dict[str, Any], _: str | None) -> None:
        _keep(self.text_folder, "json", json.dumps(body, ensure_ascii=False, indent=2).encode())

    def environment(self, web_address: str) -> dict[str, str]:
        """The notifications service's settings that send to these sinks and link to the local web."""
        return {"KOKEMUS_NOTIFY_SMTP_HOST": LOOPBACK, "KOKEMUS_NOTIFY_SMTP_PORT": str(self.smtp_port),
                "KOKEMUS_NOTIFY_SMTP_STARTTLS": "false", "KOKEMUS_NOTIFY_SMS_GATEWAY_URL": self.sms_url,
                "KOKEMUS_NOTIFY_WEB_BASE_URL": web_address, "KOKEMUS_NOTIFY_SEND_EVERY_SECONDS": "2"}

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._sms is not None:
            self._sms.shutdown()
            self._sms.server_close()
            self._sms = None

"""The channels behind one port: e-mail over SMTP and text messages through an HTTP SMS gateway.

A channel sends one rendered message to one address and says how it went: sent, a temporary failure (try
again later) or a permanent one (the address is refused). It never raises for a failure of delivery, and the
reason it gives names the failure's kind and code only: a server's own words may quote the address.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from typing import Protocol

import httpx

from services.notifications.domain.notification import Delivery, Outcome
from services.notifications.domain.templates import Message
from services.notifications.settings import NotifySettings


class Sender(Protocol):
    """One channel: deliver ``message`` to ``address``; ``reference`` (the notification's id) lets the far end
    recognise a message it has already taken."""

    async def send(self, address: str, message: Message, reference: uuid.UUID) -> Delivery: ...


def _smtp_outcome(code: int, what: str) -> Delivery:
    return Delivery(Outcome.permanent if 500 <= code < 600 else Outcome.temporary, f"SMTP {code} {what}")


class SmtpSender:
    """E-mail through the county's relay: STARTTLS and authentication when set (smtplib, in a thread)."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Message, reference: uuid.UUID) -> Delivery:
        if not self.settings.smtp_host:
            return Delivery(Outcome.temporary, "no SMTP host set (KOKEMUS_NOTIFY_SMTP_HOST)")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.settings.mail_from, address, message.subject
        mail["Message-ID"] = f"<{reference}@kokemus>"
        mail.set_content(message.body)
        return await asyncio.to_thread(self._send, mail)

    def _send(self, mail: EmailMessage) -> Delivery:
        s = self.settings
        try:
            tls = ssl.create_default_context(cafile=s.smtp_ca_file)
            connect = (smtplib.SMTP_SSL(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout_seconds, context=tls)
                       if s.smtp_implicit_tls else smtplib.SMTP(s.smtp_host or "", s.smtp_port,
                                                                 timeout=s.smtp_timeout_seconds))
            with connect as smtp:
                if s.smtp_starttls and not s.smtp_implicit_tls:
                    smtp.starttls(context=tls)
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            code = min(code for code, _ in refused.recipients.values())
            return _smtp_outcome(code, "recipient refused")
        except (smtplib.SMTPDataError, smtplib.SMTPNotSupportedError) as error:
            return _smtp_outcome(getattr(error, "smtp_code", 451), "message refused")
        except smtplib.SMTPAuthenticationError as error:
            # Our credentials, not the person's address: wait for the setting to be put right.
            return Delivery(Outcome.temporary, f"SMTP {error.smtp_code} authentication failed")
        except smtplib.SMTPResponseException as error:
            return Delivery(Outcome.temporary, f"SMTP {error.smtp_code}")
        except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
            return Delivery(Outcome.temporary, f"SMTP unreachable: {type(error).__name__}")
        return Delivery(Outcome.sent)


class SmsGatewaySender:
    """Text messages through an HTTP gateway: ``POST`` of ``{"to", "text", "reference"}`` with the key as a
    bearer token. 2xx: sent; 408, 429 and 5xx: try again; another 4xx: the number is refused."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Message, reference: uuid.UUID) -> Delivery:
        url = self.settings.sms_gateway_url
        if not url:
            return Delivery(Outcome.temporary, "no SMS gateway set (KOKEMUS_NOTIFY_SMS_GATEWAY_URL)")
        headers = {"Authorization": f"Bearer {self.settings.sms_gateway_key}"} if self.settings.sms_gateway_key else {}
        body = {"to": address, "text": message.short, "reference": str(reference)}
        try:
            async with httpx.AsyncClient(timeout=20) as client:
                reply = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            return Delivery(Outcome.temporary, f"SMS gateway unreachable: {type(error).__name__}")
        code = reply.status_code
        if 200 <= code < 300:
            return Delivery(Outcome.sent)
        if code in (408, 429) or code >= 500:
            return Delivery(Outcome.temporary, f"SMS gateway HTTP {code}")
        return Delivery(Outcome.permanent, f"SMS gateway HTTP {code}")

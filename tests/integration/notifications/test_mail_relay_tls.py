"""E-mail as the county's relay takes it: STARTTLS with a certificate checked against the relay's own CA, then
authentication; a wrong password or an untrusted certificate is a temporary failure (the setting is ours to put
right, not the person's address), never a bounce."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kokemus.stack.servers import free_port
from services.notifications.channels import SmtpSender
from services.notifications.domain.notification import Outcome
from services.notifications.domain.templates import render
from services.notifications.events import Language, MessageKind
from services.notifications.settings import NotifySettings
from tests.integration.notifications.servers import MailRelay


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "county mail relay")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"kokemus", b"secret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[MailRelay, int, Path]]:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    mails = MailRelay()
    controller = Controller(mails, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller.start()
    try:
        yield mails, controller.port, cert_file
    finally:
        controller.stop()


async def send(settings: NotifySettings) -> Outcome:
    message = render(MessageKind.offer_made, Language.fi, "https://kokemus.example.fi/expert/offers")
    return (await SmtpSender(settings).send("maija@example.org", message, uuid.uuid4())).outcome


async def test_starttls_and_authentication_deliver(relay):
    mails, port, ca = relay
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_ca_file=str(ca),
                              smtp_username="kokemus", smtp_password="secret")
    assert await send(settings) is Outcome.sent
    [mail] = mails.to("maija@example.org")
    assert mail["Subject"] == "Uusi toimeksiantotarjous"


async def test_a_wrong_password_or_an_untrusted_certificate_waits_and_sends_nothing(relay):
    mails, port, ca = relay
    wrong_password = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_ca_file=str(ca),
                                    smtp_username="kokemus", smtp_password="wrong")
    untrusted = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_username="kokemus",
                               smtp_password="secret")
    without_tls = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    for settings in (wrong_password, untrusted, without_tls):
        assert await send(settings) is Outcome.temporary
    assert mails.messages == []

"""The embedded stack's local sinks, reached through the notifications service's own channels: what would
have been sent by e-mail or text message is kept as a file in the data folder, for a person trying the
system out to read."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from pathlib import Path

from kokemus.stack.servers import free_port
from kokemus.stack.sinks import Sinks
from services.notifications.channels import SmsGatewaySender, SmtpSender
from services.notifications.domain.notification import Outcome
from services.notifications.domain.templates import render
from services.notifications.events import Language, MessageKind
from services.notifications.settings import NotifySettings


async def test_a_mail_and_a_text_message_are_kept_in_the_data_folder(tmp_path: Path) -> None:
    sinks = Sinks(tmp_path, free_port(), free_port())
    sinks.start()
    try:
        settings = NotifySettings(**{key.removeprefix("KOKEMUS_NOTIFY_").lower(): value
                                     for key, value in sinks.environment("http://127.0.0.1:18000").items()})
        message = render(MessageKind.contract_to_sign, Language.fi, f"{settings.web_base_url}/engagements/1")
        reference = uuid.uuid4()
        mailed = await SmtpSender(settings).send("maija@example.org", message, reference)
        texted = await SmsGatewaySender(settings).send("+358401234567", message, reference)
    finally:
        sinks.stop()

    assert (mailed.outcome, texted.outcome) == (Outcome.sent, Outcome.sent)
    [mail_file] = sinks.mail_folder.glob("*.eml")
    mail = email.message_from_bytes(mail_file.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "maija@example.org" and mail["Message-ID"] == f"<{reference}@kokemus>"
    assert mail["Subject"] == "Sopimus odottaa allekirjoitustasi"
    [text_file] = sinks.text_folder.glob("*.json")
    assert json.loads(text_file.read_text()) == {"to": "+358401234567", "text": message.short,
                                                 "reference": str(reference)}


async def test_a_channel_with_nothing_to_send_to_fails_for_now_not_for_good() -> None:
    message = render(MessageKind.offer_made, Language.en, "http://127.0.0.1/expert/offers")
    nowhere = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False,
                             sms_gateway_url=f"http://127.0.0.1:{free_port()}/messages")
    for sender in (SmtpSender(nowhere), SmsGatewaySender(nowhere), SmtpSender(NotifySettings())):
        delivery = await sender.send("someone", message, uuid.uuid4())
        assert delivery.outcome is Outcome.temporary, delivery

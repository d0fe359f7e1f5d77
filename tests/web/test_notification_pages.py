"""Messages to me, through the browser: the expert gives her contact details (first choosing text messages
without a number, shown at the field), in Swedish; turns the feedback reminders off; an offer made to her then
reaches her mailbox in Swedish, linking to her offers page. The orderer reads the page in Swedish. Every page
is checked with axe-core and kept as a screenshot (test-output/screenshots/notifications-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest

from services.notifications.channels import SmsGatewaySender, SmtpSender
from services.notifications.events import Channel
from services.notifications.sending import send_due
from services.notifications.settings import NotifySettings
from services.web.serve import listen
from tests.conftest import eventually
from tests.integration.notifications.servers import MailRelay, mail_relay
from tests.web.conftest import Visitor
from tests.web.system import running_services, running_web, web_settings
from tests.web.test_expenses_pages import SCHOOL, TASK_DAY, asking, people
from tests.web.test_journey import fill

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[dict[str, Any]]:
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    relay = MailRelay()
    with mail_relay(relay) as smtp_port:
        async with running_services(servers) as runtimes, \
                running_web(web_settings(servers.nats_url, port), listener) as running:
            nc = await nats.connect(servers.nats_url)
            try:
                await people(nc)
                [notifications] = [runtime for runtime in runtimes if runtime.name == "notifications"]
                # The service's mail relay is this test's; its sending job is run by the test, when it waits.
                settings = NotifySettings(web_base_url=running.url, smtp_host="127.0.0.1", smtp_port=smtp_port,
                                          smtp_starttls=False)
                notifications.deps.senders = {Channel.email: SmtpSender(settings),
                                              Channel.sms: SmsGatewaySender(settings)}
                notifications.deps.base_url = running.url
                yield {"url": running.url, "nc": nc, "relay": relay, "deps": notifications.deps}
            finally:
                await nc.close()


async def test_the_expert_chooses_how_and_what_she_is_told_and_an_offer_reaches_her(web, visitors):
    expert: Visitor = await visitors("expert", web["url"])
    await expert.sign_in(email="maija@example.org")
    await expert.visit("/notifications")
    page = expert.page
    assert await page.inner_text("h1") == "Viestit minulle"
    assert await expert.shows("text=Et ole antanut yhteystietojasi")
    await expert.screenshot("notifications-expert-empty")

    # Text messages, but no number: the error at the phone field, and what was chosen stays.
    await page.check("#f-channel-2")
    await expert.submit("form[action='/notifications/contact']")
    assert await page.locator(".error-summary a[href='#f-phone']").count() == 1
    assert await page.get_attribute("#f-phone", "aria-invalid") == "true"
    assert await page.is_checked("#f-channel-2")
    await expert.screenshot("notifications-expert-errors")

    # By e-mail, in Swedish.
    await page.check("#f-channel")
    await fill(expert, {"#f-email": "maija@example.org"})
    await page.check("#f-language-2")
    await expert.submit("form[action='/notifications/contact']")
    assert expert.page.url.endswith("/notifications")
    assert await page.input_value("#f-email") == "maija@example.org" and await page.is_checked("#f-language-2")

    # No reminders of feedback forms; an offer and a contract cannot be turned off, and say so.
    assert await page.locator("#kind-offer_made").count() == 0
    await page.uncheck("#kind-feedback_reminder")
    await expert.submit("form[action='/notifications/kinds']")
    assert not await page.is_checked("#kind-feedback_reminder") and await page.is_checked("#kind-feedback_requested")
    await expert.screenshot("notifications-expert-saved")

    # An offer: one e-mail, in Swedish, linking to her offers in this web, and nothing about the task.
    _, until = asking(web["nc"])
    order = await until("orders.cmd.place_order", {
        "actor": SCHOOL, "task_type": "lecture", "topic": "Toipuminen syömishäiriöstä", "date": str(TASK_DAY),
        "duration_hours": "2", "place": "Turku", "fee": {"mode": "recommended"}})
    await until("orders.cmd.make_offer", {"actor": SCHOOL, "order_id": order["order_id"], "expert_id": "maija"})

    async def sent() -> list[Any]:
        await send_due(web["deps"])
        return web["relay"].to("maija@example.org")

    [mail] = await eventually(sent, timeout=30)
    body = mail.get_content()
    assert mail["Subject"] == "Nytt uppdragserbjudande" and f"{web['url']}/expert/offers" in body
    assert "syömishäiriö" not in body and "Turku" not in body


async def test_the_orderer_reads_the_page_in_swedish(web, visitors):
    orderer = await visitors("orderer in Swedish", web["url"])
    await orderer.context.add_cookies([{"name": "kokemus_lang", "value": "sv", "url": web["url"]}])
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit("/notifications")
    assert await orderer.page.inner_text("h1") == "Meddelanden till mig"
    assert await orderer.shows("main nav a[href='/notifications'], nav a[href='/notifications']")
    await orderer.screenshot("notifications-orderer-sv")

"""Expenses through the browser, so that the expert never pays: after the task the expert claims her car
journey, a ticket, parking and a per diem (a negative kilometre count, then a second car line without its route,
shown at their own fields of their own line first); the orderer approves three lines and returns the parking
with a reason; the expert sees why; the coordinator reads the expense rates and records the payment of the fee
and the approved lines. Receipt files go with the claim (a false one named at its field) and the orderer
downloads them; an offer past the expert's monthly income limit is warned of above its accept button; the
expert declines a fee, and the orderer sees the volunteer's yearly cap warning before approving. The engagement
itself is set up over NATS (the journey test walks those pages); every
expense page is checked with axe-core and kept as a screenshot (test-output/screenshots/expenses-*)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest

from services.web.serve import listen
from shared.clock import Clock, utc_now
from shared.messaging.rpc import RemoteError
from tests.callers import request
from tests.conftest import eventually
from tests.web.conftest import Visitor
from tests.web.system import running_services, running_web, web_settings
from tests.web.test_journey import fill

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
TASK_DAY = TODAY + dt.timedelta(days=1)
COORDINATOR = {"id": "anna", "role": "coordinator"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
MAIJA = {"id": "maija", "role": "expert"}
SCHOOL = {"id": "turun-koulu", "role": "orderer"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[tuple[str, str]]:
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    async with running_services(servers) as runtimes, \
            running_web(web_settings(servers.nats_url, port), listener) as running:
        nc = await nats.connect(servers.nats_url)
        try:
            await people(nc)
            engagement_id = await engagement(nc, "Toipuminen masennuksesta", sign_and_deliver=True)
            unsigned_id = await engagement(nc, "Vertaistuki ryhmässä", sign_and_deliver=False)
        finally:
            await nc.close()
        # The task was tomorrow (an offer is made before the task's day); the claim comes after it: the
        # contracts service lives two days ahead from here on.
        [contracts] = [runtime for runtime in runtimes if runtime.name == "contracts"]
        contracts.deps.clock = Clock(lambda: utc_now() + dt.timedelta(days=2))
        SEEN["unsigned"] = f"/engagements/{unsigned_id}"
        yield running.url, f"/engagements/{engagement_id}"


SEEN: dict[str, str] = {}


def asking(nc: nats.NATS) -> tuple[Any, Any]:
    async def ask(subject: str, body: dict[str, Any]) -> Any:
        return await request(nc, f"kokemus.{subject}", body)

    async def until(subject: str, body: dict[str, Any]) -> Any:  # another service learns of it a moment later
        async def attempt() -> Any:
            try:
                return await ask(subject, body)
            except RemoteError as error:
                if error.code in ("forbidden", "not_found", "conflict"):
                    return None
                raise
        return await eventually(attempt, timeout=30)
    return ask, until


async def people(nc: nats.NATS) -> None:
    """Mieli ry, its expert Maija in the bank, and Turun koulu with credentials."""
    ask, _ = asking(nc)
    await ask("registry.cmd.register_organization",
              {"actor": COORDINATOR, "organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"})
    await ask("registry.cmd.appoint_contact_person", {"actor": COORDINATOR, "organization_id": "mieli",
                                                      "person_id": "olli", "name": "Olli", "email": "olli@mieli.fi"})
    await ask("registry.cmd.register_expert", {"actor": CONTACT, "expert_id": "maija", "organization_id": "mieli",
                                               "name": "Maija Mäkinen", "email": "maija@example.org"})
    await ask("registry.cmd.record_training", {"actor": CONTACT, "expert_id": "maija",
                                               "completed_on": str(TODAY - dt.timedelta(days=60)),
                                               "trained_by": "mieli"})
    await ask("registry.cmd.give_consent", {"actor": MAIJA, "expert_id": "maija"})
    await ask("registry.cmd.list_expert", {"actor": CONTACT, "expert_id": "maija", "topics": ["toipuminen"]})
    await ask("registry.cmd.grant_credentials", {"actor": COORDINATOR, "orderer_id": "turun-koulu",
                                                 "orderer_name": "Turun koulu", "email": "rehtori@turku.fi"})


async def engagement(nc: nats.NATS, topic: str, *, sign_and_deliver: bool) -> str:
    """Maija's engagement for Turun koulu, its task tomorrow; its contract signed by both and delivered, or not."""
    ask, until = asking(nc)
    order = await until("orders.cmd.place_order", {
        "actor": SCHOOL, "task_type": "lecture", "topic": topic, "date": str(TASK_DAY),
        "duration_hours": "2", "place": "Turku", "fee": {"mode": "recommended"}})
    offer = await until("orders.cmd.make_offer", {"actor": SCHOOL, "order_id": order["order_id"],
                                                  "expert_id": "maija"})
    accepted = await ask("orders.cmd.accept_offer", {"actor": MAIJA, "order_id": order["order_id"],
                                                     "offer_id": offer["offer_id"]})
    engagement_id: str = accepted["engagement_id"]
    if not sign_and_deliver:
        return engagement_id
    for actor, party in ((MAIJA, "expert"), (SCHOOL, "orderer")):
        await until("contracts.cmd.sign_contract", {"actor": actor, "engagement_id": engagement_id, "party": party})
    await until("orders.cmd.confirm_delivery", {"actor": SCHOOL, "engagement_id": engagement_id,
                                                "actual_hours": "2"})
    return engagement_id


async def test_an_expense_claim_filed_reviewed_line_by_line_and_paid(web, visitors):
    url, engagement = web
    expert: Visitor = await visitors("expert", url)
    await expert.sign_in(email="maija@example.org")
    await expert.visit(engagement)
    await expert.screenshot("expenses-expert-engagement-before")
    await expert.visit(f"{engagement}/expenses")
    await expert.screenshot("expenses-expert-claim-form")

    # First with mistakes: a negative kilometre count (refused as the request is read), then a second car line
    # without its route (refused by the claim's rules); each is shown at its own field of its own line.
    page = expert.page
    await page.select_option("#f-lines-0-kind", "car")
    await fill(expert, {"#f-lines-0-kilometres": "-40", "#f-lines-0-route": "Salo – Turku – Salo"})
    await page.select_option("#f-lines-1-kind", "parking")
    await fill(expert, {"#f-lines-1-amount": "4.50"})
    await page.select_option("#f-lines-2-kind", "car")
    await fill(expert, {"#f-lines-2-kilometres": "12"})
    async with page.expect_navigation():
        await page.locator("main form button.button").click()
    assert await page.locator(".error-summary a[href='#f-lines-0-kilometres']").count() == 1
    assert await page.get_attribute("#f-lines-0-kilometres", "aria-invalid") == "true"
    assert await page.locator("#f-lines-0-kilometres-error").is_visible()
    assert await page.get_attribute("#f-lines-1-amount", "aria-invalid") is None  # the good line is not blamed
    assert await page.input_value("#f-lines-0-route") == "Salo – Turku – Salo"  # what was typed stays
    await expert.check()
    await expert.screenshot("expenses-expert-claim-errors")
    await fill(expert, {"#f-lines-0-kilometres": "100"})
    async with page.expect_navigation():
        await page.locator("main form button.button").click()
    assert await page.locator(".error-summary a[href='#f-lines-2-route']").count() == 1
    assert await page.get_attribute("#f-lines-2-route", "aria-invalid") == "true"
    assert await page.get_attribute("#f-lines-0-kilometres", "aria-invalid") is None
    await expert.check()
    await expert.screenshot("expenses-expert-claim-line-errors")

    # Corrected: the car there and back with its route, a bus ticket, parking, a per diem for 11 hours away.
    await page.select_option("#f-lines-2-kind", "public_transport")
    await fill(expert, {"#f-lines-2-kilometres": "", "#f-lines-2-amount": "7.40",
                        "#f-lines-2-description": "Bussi 14, Turku"})
    await page.select_option("#f-lines-3-kind", "per_diem")
    await fill(expert, {"#f-lines-3-hours-away": "11"})
    # A "receipt" that is a program under a PDF's name is named at its line's file field, and nothing is sent.
    await page.set_input_files("#f-lines-1-receipt", {"name": "kuitti.pdf", "mimeType": "application/pdf",
                                                      "buffer": b"MZ\x90\x00 not a receipt"})
    async with page.expect_navigation():
        await page.locator("main form button.button").click()
    assert await page.locator(".error-summary a[href='#f-lines-1-receipt']").count() == 1
    assert await page.get_attribute("#f-lines-1-receipt", "aria-invalid") == "true"
    assert "ei ole PDF eikä kuva" in await page.inner_text("#f-lines-1-receipt-error")
    await expert.check()
    await expert.screenshot("expenses-expert-claim-receipt-error")
    # The parking's photo and the bus ticket's PDF go with the claim.
    await page.set_input_files("#f-lines-1-receipt", {"name": "pysakointi.png", "mimeType": "image/png",
                                                      "buffer": PNG})
    await page.set_input_files("#f-lines-2-receipt", {"name": "bussilippu.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF})
    await expert.submit()
    assert page.url.endswith(engagement)
    text = await page.inner_text("main")
    assert "55,00" in text  # 100 km at 0.55 €/km, the rate in force on the task's date (2026 on)
    assert "Salo – Turku – Salo" in text and "Odottaa hyväksyntää" in text
    assert await page.locator("#expense-line-2 a[href*='/receipts/']").count() == 1
    assert await page.locator("#expense-line-3 a[href*='/receipts/']").count() == 1
    assert await page.locator("#expense-line-1 a[href*='/receipts/']").count() == 0

    # The orderer approves the car, the ticket and the per diem, and returns the parking with the reason.
    orderer = await visitors("orderer", url)
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit(engagement)
    await orderer.screenshot("expenses-orderer-review")
    # The orderer reviewing the lines downloads their receipts, byte for byte, as attachments.
    for line, sent in ((2, PNG), (3, PDF)):
        href = await orderer.page.get_attribute(f"#expense-line-{line} a[href*='/receipts/']", "href")
        got = await orderer.page.request.get(url + href)
        assert got.ok and await got.body() == sent and "attachment" in got.headers["content-disposition"]
    for line in (1, 3, 4):
        await orderer.submit(f"form[action='{engagement}/expenses/{line}/approve']")
    await orderer.visit(f"{engagement}/expenses/2/return")
    async with orderer.page.expect_navigation():  # no reason: the error at the field
        await orderer.page.locator("main form button.button").click()
    assert await orderer.page.get_attribute("#f-reason", "aria-invalid") == "true"
    await fill(orderer, {"#f-reason": "Koulun pysäköinti on vieraille maksuton."})
    await orderer.submit()
    await orderer.screenshot("expenses-orderer-reviewed")

    # The expert sees each line's state, and why the parking came back.
    await expert.visit(engagement)
    row = page.locator("#expense-line-2")
    assert "Palautettu" in await row.inner_text() and "maksuton" in await row.inner_text()
    assert await page.locator("main .tag--approved").count() == 3
    await expert.screenshot("expenses-expert-engagement-after")

    # The coordinator reads the rates (the tax-free maximums seeded) and pays the fee with the approved lines.
    coordinator = await visitors("coordinator", url)
    await coordinator.sign_in(staff_role="coordinator")
    await coordinator.visit("/coordinator/expense-rates")
    rates = await coordinator.page.inner_text("main")
    assert "tax-free-2026" in rates and "0,55" in rates and "54,00" in rates and "13,50" in rates
    await coordinator.screenshot("expenses-coordinator-rates")
    await coordinator.visit("/coordinator/payments")  # the fee, and the approved lines: the car, ticket, per diem
    due = await coordinator.page.inner_text("main")
    assert "60,00" in due and "116,40" in due  # 55 + 7.40 + 54 €, at the rates of 2026 on
    await coordinator.screenshot("expenses-coordinator-payments")
    await coordinator.visit(f"{engagement}/payment")
    await coordinator.submit()
    await coordinator.visit(engagement)
    assert await coordinator.page.locator("#expense-line-1 .tag--paid").count() == 1
    await coordinator.screenshot("expenses-coordinator-paid")


async def test_the_claim_form_in_swedish(web, visitors):
    url, engagement = web
    expert = await visitors("expert in Swedish", url)
    await expert.context.add_cookies([{"name": "kokemus_lang", "value": "sv", "url": url}])
    await expert.sign_in(email="maija@example.org")
    await expert.visit(f"{engagement}/expenses")
    assert await expert.page.inner_text("h1") == "Ansök om kostnadsersättning"
    await expert.screenshot("expenses-sv-claim-form")


async def test_the_contract_is_read_and_signed_as_the_document_its_signer_saw(web, visitors):
    url, _ = web
    engagement = SEEN["unsigned"]
    expert = await visitors("expert", url)
    await expert.sign_in(email="maija@example.org")
    await expert.until(lambda: expert.poll(f"{engagement}/contract"), lambda: expert.shows("article.contract-document"),
                       "the contract drafted")
    text = await expert.page.inner_text("main")
    # The order's topic and place travel sealed with the orderer's key, which the contracts service cannot open:
    # the document points to the order for them.
    assert "Vertaistuki ryhmässä" not in text and text.count("tilauksen mukaan") == 2  # the topic, the place
    for part in ("Toimeksiantosopimus", "Osapuolet", "Kulukorvaukset",
                 "Peruutusehdot", "ei ole velkaa tilaajalle mitään", "Verotus", "Tietosuoja"):
        assert part in text, part
    await expert.screenshot("contract-fi-document")
    # A document that is not the version to sign (altered here in the page): refused, and the page says so.
    await expert.page.locator("form[action$='/sign'] input[name='document_hash']").evaluate(
        "input => input.value = 'a'.repeat(64)")
    await expert.submit("form[action$='/sign']")
    assert expert.page.url.endswith(f"{engagement}/contract") and await expert.shows(".notice")
    await expert.submit("form[action$='/sign']")
    assert expert.page.url.endswith(engagement)

    orderer = await visitors("orderer in Swedish", url)
    await orderer.context.add_cookies([{"name": "kokemus_lang", "value": "sv", "url": url}])
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit(f"{engagement}/contract")
    text = await orderer.page.inner_text("main")
    for part in ("Uppdragsavtal", "Parter", "Kostnadsersättningar", "Villkor för annullering", "Beskattning",
                 "Dataskydd"):
        assert part in text, part
    await orderer.screenshot("contract-sv-document")
    await orderer.visit(engagement)  # the engagement's page signs the same document, in the same language
    await orderer.submit("form[action$='/sign']")
    assert orderer.page.url.endswith(engagement)
    assert await orderer.shows(".tag--fully_signed")


async def test_an_amended_contract_is_signed_again_and_the_expert_sets_her_income_limit(web, visitors):
    url, _ = web
    engagement = SEEN["unsigned"]  # signed by both by the test before; a new version asks them both again
    coordinator = await visitors("coordinator", url)
    await coordinator.sign_in(staff_role="coordinator")
    await coordinator.until(lambda: coordinator.poll(engagement), lambda: coordinator.shows("a[href$='/amend']"),
                            "the contract drafted")
    await coordinator.visit(f"{engagement}/amend")
    await fill(coordinator, {"#f-duration-hours": "3", "#f-start-time": "09:30"})
    await coordinator.submit()
    assert coordinator.page.url.endswith(engagement) and "versio 2" in await coordinator.page.inner_text("main")
    await coordinator.visit(f"{engagement}/contract")
    assert await coordinator.shows("a[href='?version=1']")
    assert await coordinator.shows("a[href$='contract.pdf?version=2']")
    await coordinator.screenshot("contract-amended-v2")
    for name, email in (("expert", "maija@example.org"), ("orderer", "rehtori@turku.fi")):
        party = await visitors(name, url)
        await party.sign_in(email=email)
        await party.visit(f"{engagement}/contract")
        assert "muuttaa sopimuksen version 1 ehtoja: kellonaika, kesto" in await party.page.inner_text("main")
        await party.submit("form[action$='/sign']")
        assert party.page.url.endswith(engagement)
    await coordinator.visit(engagement)
    assert not await coordinator.shows("#amendment-to-sign")

    expert = await visitors("expert", url)
    await expert.sign_in(email="maija@example.org")
    await expert.visit("/expert/income-limit")
    await fill(expert, {"#f-annual-limit": "5000"})
    await expert.submit()
    assert "5\u00a0000,00\u00a0€" in await expert.page.inner_text("#income-summary")
    await expert.screenshot("expert-income-limit")


async def test_an_offer_past_the_experts_monthly_limit_is_warned_of_before_the_accept_button(web, visitors, servers):
    url, _ = web
    expert = await visitors("expert", url)
    await expert.sign_in(email="maija@example.org")
    await expert.visit("/expert/income-limit")
    await fill(expert, {"#f-monthly-limit": "300"})
    await expert.submit("main form:not(.inline-form)")  # not the button removing the limit
    assert "300,00\u00a0€" in await expert.page.inner_text("#income-summary")
    # A new offer for the task's month, a fixed 400 € (more than her 300 € a month by itself).
    nc = await nats.connect(servers.nats_url)
    try:
        _, until = asking(nc)
        order = await until("orders.cmd.place_order", {
            "actor": SCHOOL, "task_type": "lecture", "topic": "Raha-asiat", "date": str(TASK_DAY),
            "duration_hours": "2", "place": "Turku", "fee": {"mode": "orderer", "fixed_fee": "400"}})
        offer = await until("orders.cmd.make_offer", {"actor": SCHOOL, "order_id": order["order_id"],
                                                      "expert_id": "maija"})
    finally:
        await nc.close()
    await expert.visit("/expert/offers")
    card = expert.page.locator("section.card", has=expert.page.locator(
        f"form[action$='/{offer['offer_id']}/accept']"))
    warning = card.locator(".notice--warning[role=alert]")
    text = (await warning.inner_text()).replace("\u00a0", " ")
    assert "oman tulorajasi yli" in text and "400,00 €" in text and "kuukausirajasi 300,00 €" in text
    # The warning comes before the accept button, in the page's order and so in a screen reader's.
    assert await card.evaluate("""card => {
        const warning = card.querySelector('.notice--warning');
        const accept = card.querySelector("form[action$='/accept']");
        return Boolean(warning.compareDocumentPosition(accept) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    await expert.screenshot("expert-offer-income-warning")


async def test_the_expert_declines_the_fee_and_the_engagement_is_volunteering(web, visitors, servers):
    url, _ = web
    nc = await nats.connect(servers.nats_url)
    try:
        volunteering = await engagement(nc, "Vertaistuki vapaaehtoisena", sign_and_deliver=False)
    finally:
        await nc.close()
    expert = await visitors("expert", url)
    await expert.sign_in(email="maija@example.org")
    page = f"/engagements/{volunteering}"
    await expert.until(lambda: expert.poll(page), lambda: expert.shows("details.decline-fee"), "the contract drafted")
    await expert.page.locator("details.decline-fee summary").click()
    await expert.screenshot("expert-decline-fee")
    await expert.submit("form[action$='/decline-fee']")
    assert expert.page.url.endswith(page)
    assert "vapaaehtoistyö" in await expert.page.inner_text("#volunteering")
    assert not await expert.shows("details.decline-fee")
    await expert.screenshot("expert-volunteering")
    # Two more of her volunteering engagements, each with a 2,000 km journey (1,100 €): the orderer approves two,
    # and before approving the third sees that 300 € of it passes the 3,000 € yearly cap and is taxable.
    nc = await nats.connect(servers.nats_url)
    try:
        ask, until = asking(nc)
        others = [await engagement(nc, f"Vertaistuki {n}", sign_and_deliver=False) for n in (2, 3)]
        for engagement_id in others:
            await until("contracts.cmd.decline_fee", {"actor": MAIJA, "engagement_id": engagement_id})
        for engagement_id in [volunteering, *others]:
            for actor, party in ((MAIJA, "expert"), (SCHOOL, "orderer")):
                await until("contracts.cmd.sign_contract", {"actor": actor, "engagement_id": engagement_id,
                                                            "party": party})
            await ask("contracts.cmd.claim_expenses", {"actor": MAIJA, "engagement_id": engagement_id, "lines": [
                {"kind": "car", "kilometres": "2000", "route": "Salo – Turku – Salo"}]})
        for engagement_id in others:
            await ask("contracts.cmd.approve_expense_line",
                      {"actor": SCHOOL, "engagement_id": engagement_id, "line_no": 1})
    finally:
        await nc.close()
    orderer = await visitors("orderer", url)
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit(page)
    warning = (await orderer.page.inner_text("#cap-warning-1")).replace("\u00a0", " ")
    assert "vuosirajan" in warning and "300,00 €" in warning
    await orderer.screenshot("expenses-orderer-volunteer-cap-warning")

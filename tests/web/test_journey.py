"""Five people, each signed in as themselves in their own browser, take one engagement from the
coordinator's first organization to its close: the fee approved and paid, both feedback forms in, and its
history read by the auditor. Nothing is sent over NATS by hand: every step is a page and a form. Each page is
checked with axe-core, and each person is refused what is not theirs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.web.conftest import Visitor
from tests.web.steps import (
    appoint_contact,
    fill,
    grant_orderer,
    register_ngo,
    register_trained_expert,
    sign_agreement,
)
from tests.web.system import system_with_web

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
SEEN: dict[str, Any] = {}  # what the journey made, for the tests after it


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    async with system_with_web(servers) as url:
        yield url


async def test_the_whole_engagement_through_the_browser(web, visitors):
    coordinator = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = coordinator.page

    # The first organization: an empty form first, so its errors show next to the fields.
    await coordinator.visit("/coordinator/organizations/new")
    async with page.expect_navigation():
        await page.locator("main form button.button").click()
    assert await page.locator(".error-summary a[href='#f-organization-id']").count() == 1
    described = await page.get_attribute("#f-organization-id", "aria-describedby") or ""
    assert "f-organization-id-error" in described
    assert await page.get_attribute("#f-organization-id", "aria-invalid") == "true"
    assert await page.locator("#f-organization-id-error").is_visible()
    await coordinator.check()
    await fill(coordinator, {"#f-organization-id": "varha", "#f-name": "Varsinais-Suomen hyvinvointialue"})
    await page.check("#f-kind-2")
    await coordinator.submit()
    assert page.url.endswith("/coordinator/organizations/varha")
    await register_ngo(coordinator, "mieli", "Mieli ry")
    await coordinator.visit("/coordinator/organizations/mieli/agreement")
    await fill(coordinator, {"#f-agreement-id": "sopimus-2026", "#f-valid-from": TODAY - dt.timedelta(days=30),
                             "#f-valid-until": TODAY + dt.timedelta(days=365)})
    await coordinator.submit()
    assert page.url.endswith("/agreements/mieli/sopimus-2026") and "Järjestösopimus" in await page.inner_text("main")
    await sign_agreement(coordinator, "mieli", "sopimus-2026")
    await appoint_contact(coordinator, "mieli", "olli", "Olli Ohjaaja", "olli@mieli.fi")
    for orderer_id, name, email in (("turun-koulu", "Turun koulu", "rehtori@turku.fi"),
                                    ("raision-koulu", "Raision koulu", "rehtori@raisio.fi")):
        await grant_orderer(coordinator, orderer_id, name, email)
    assert "rehtori@turku.fi" in await page.inner_text("main")

    # The contact person registers the expert and records her training; she consents; she is listed.
    contact = await visitors("contact person", web)
    await contact.sign_in(email="olli@mieli.fi")
    await sign_agreement(contact, "mieli", "sopimus-2026")  # for Mieli: the agreement is in force
    await register_trained_expert(contact, "maija", "Maija Mäkinen", "maija@example.org",
                                  TODAY - dt.timedelta(days=60), phone="040 123 4567")
    expert = await visitors("expert", web)
    await expert.sign_in(email="maija@example.org")
    await expert.visit("/expert")
    await expert.submit("form[action='/expert/consent']")
    await contact.visit("/organization/experts/maija/list")
    await fill(contact, {"#f-topics": "mielenterveys, toipuminen", "#f-languages": "fi, sv"})
    await contact.submit()
    register = await contact.context.request.get(web + "/organization/register.csv")
    assert register.ok and "maija@example.org" in await register.text()

    # The orderer finds her in the bank, orders, and offers her the task.
    orderer = await visitors("orderer", web)
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit("/orderer/bank?topic=toipuminen")
    assert "Maija Mäkinen" in await orderer.page.inner_text("main")
    await orderer.visit("/orderer/orders/new")
    await orderer.page.select_option("#f-task-type", "lecture")
    await fill(orderer, {"#f-topic": "Toipuminen masennuksesta, opettajille", "#f-place": "Turku",
                         "#f-date": TODAY + dt.timedelta(days=14), "#f-duration-hours": "2"})
    await orderer.until(orderer.submit, lambda: _at(orderer, r"/orders/[0-9a-f-]{36}$"), "placing the order")
    order_path = orderer.page.url.removeprefix(web)
    await orderer.until(lambda: _offer(orderer, order_path), lambda: orderer.shows("main .tag--open"),
                        "offering the task")

    # The expert accepts and signs; the orderer signs, confirms the delivery and gives feedback.
    await expert.visit("/expert/offers")
    await expert.submit("form[action$='/accept']")
    assert re.search(r"/engagements/[0-9a-f-]{36}$", expert.page.url)
    engagement = expert.page.url.removeprefix(web)
    SEEN.update(engagement=engagement, order=order_path)
    await expert.until(lambda: expert.poll(engagement), lambda: expert.shows("form[action$='/sign']"),
                       "the contract being drafted")
    await expert.submit("form[action$='/sign']")
    await orderer.until(lambda: orderer.poll(engagement), lambda: orderer.shows("form[action$='/sign']"),
                        "the orderer seeing the contract")
    await orderer.submit("form[action$='/sign']")
    await orderer.until(lambda: orderer.poll(engagement), lambda: orderer.shows(f"a[href='{engagement}/delivery']"),
                        "the engagement confirmed")
    await orderer.visit(f"{engagement}/delivery")
    await fill(orderer, {"#f-actual-hours": "2", "#f-kilometres": "34"})
    await orderer.submit()
    await orderer.until(lambda: orderer.poll(engagement), lambda: orderer.shows(f"a[href='{engagement}/feedback']"),
                        "the feedback asked for")
    await orderer.visit(f"{engagement}/feedback")
    for question in ("usefulness", "expert-preparation", "cooperation", "would-order-again"):
        await orderer.page.check(f"#f-ratings-{question}-5")
    await fill(orderer, {"#f-free-text": "Hyödyllinen koko henkilökunnalle."})
    await orderer.submit()
    await expert.until(lambda: expert.poll(engagement), lambda: expert.shows(f"a[href='{engagement}/feedback']"),
                       "the self-assessment asked for")
    await expert.visit(f"{engagement}/feedback")
    async with expert.page.expect_navigation():  # half answered: each missing rating is named at its question
        await expert.page.check("#f-ratings-preparation-4")
        await expert.page.locator("main form button.button").click()
    assert await expert.page.locator(".error-summary a[href='#f-ratings-own-wellbeing']").count() == 1
    await expert.check()
    for question in ("own-wellbeing", "experience-heard", "would-do-again"):
        await expert.page.check(f"#f-ratings-{question}-5")
    await expert.submit()

    # The coordinator records the payment; the engagement closes by itself.
    await coordinator.until(lambda: coordinator.poll("/coordinator/payments"),
                            lambda: coordinator.shows(f"a[href='{engagement}/payment']"), "the fee approved")
    await coordinator.visit(f"{engagement}/payment")
    await coordinator.submit()
    await coordinator.until(lambda: coordinator.poll(engagement), lambda: coordinator.shows(".tag--closed"),
                            "the engagement closed")
    text = await coordinator.page.inner_text("main")
    assert "91,38" in text or "Paid" in text or "Maksettu" in text  # 2 h at the rates, 34 km, paid

    # The auditor reads its history from every service, and the stores verify.
    auditor = await visitors("auditor", web)
    await auditor.sign_in(staff_role="auditor")
    await auditor.until(lambda: auditor.poll(f"{engagement}/history"),
                        lambda: _contains(auditor, "EngagementClosed"), "the history complete")
    history = await auditor.page.inner_text("main")
    for event_type in ("OrderPlaced", "ContractFullySigned", "DeliveryConfirmed", "FeeApproved", "FeePaid",
                       "FeedbackCompleted", "EngagementClosed"):
        assert event_type in history
    await auditor.visit("/auditor/verify")
    assert await auditor.shows(".notice")

    # Each sees only their own: another orderer, by address, gets a refusal; every role is kept to its pages.
    other = await visitors("another orderer", web)
    await other.sign_in(email="rehtori@raisio.fi")
    await other.visit(engagement, status=403)
    await other.visit(order_path, status=403)
    await other.visit("/orderer/engagements")
    assert "/engagements/" not in await other.page.inner_html("main")
    for visitor, path in ((expert, "/coordinator"), (orderer, "/organization"), (contact, "/expert"),
                          (auditor, "/orderer"), (coordinator, "/expert/offers"), (expert, f"{engagement}/history")):
        await visitor.visit(path, status=403)

    # One person, two capacities: a contact person who orders too switches between them.
    await appoint_contact(coordinator, "mieli", "ulla", "Ulla Uusi", "ulla@mieli.fi")
    await grant_orderer(coordinator, "mieli-tilaaja", "Mieli ry tilaajana", "ulla@mieli.fi")
    both = await visitors("contact person and orderer", web)
    await both.sign_in(email="ulla@mieli.fi")
    assert both.page.url.endswith("/orderer")
    await both.visit("/organization", status=403)  # acting as the orderer
    await both.visit("/orderer")
    contact_person = both.page.locator("#role-choice option", has_text="Yhteyshenkilö")
    await both.page.select_option("#role-choice", await contact_person.get_attribute("value"))
    await both.submit("form.role-switch")
    assert both.page.url.endswith("/organization")
    assert "Maija Mäkinen" in await both.page.inner_text("main")
    await both.visit("/orderer", status=403)  # now the contact person


async def _at(visitor: Visitor, pattern: str) -> bool:
    return re.search(pattern, visitor.page.url) is not None


async def _contains(visitor: Visitor, text: str) -> bool:
    return text in await visitor.page.inner_text("main")


async def _offer(orderer: Visitor, order_path: str) -> None:
    await orderer.poll(order_path)
    if await orderer.shows("#f-expert-id option[value='maija']"):
        await orderer.page.select_option("#f-expert-id", "maija")
        await orderer.submit(f"form[action='{order_path}/offer']")


MAIN_PAGES = {
    "coordinator": ["/coordinator", "/coordinator/organizations/mieli", "/coordinator/organizations/new",
                    "/coordinator/orderers", "/coordinator/orderers/new", "/coordinator/rates",
                    "/coordinator/engagements", "/coordinator/payments", "/coordinator/report",
                    "/coordinator/dead-letters", "/coordinator/organizations/mieli/agreements/sopimus-2026/end",
                    "/agreements/mieli/sopimus-2026",
                    "/coordinator/orders", "/coordinator/orders/new",
                    "{engagement}"],
    "contact": ["/organization", "/organization/orders", "/organization/agreements", "/organization/experts/maija",
                "/organization/experts/new",
                "/organization/experts/maija/list"],
    "expert": ["/expert", "/expert/offers", "/expert/engagements", "{engagement}"],
    "orderer": ["/orderer", "/orderer/bank?topic=toipuminen", "/orderer/orders/new", "{order}",
                "/orderer/engagements", "{engagement}"],
    "auditor": ["/auditor", "{engagement}/history", "/auditor/verify"],
}
WHO = {"coordinator": {"staff_role": "coordinator"}, "contact": {"email": "olli@mieli.fi"},
       "expert": {"email": "maija@example.org"}, "orderer": {"email": "rehtori@turku.fi"},
       "auditor": {"staff_role": "auditor"}}


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_every_main_page_in_finnish_and_swedish(web, visitors, language):
    """Each person's main pages, in the language they chose (remembered in a cookie), checked with axe-core and
    kept as screenshots under test-output/screenshots/ for a person to look at."""
    assert SEEN, "runs after the journey, on what it made"
    anonymous = await visitors("anonymous", web)
    await anonymous.visit("/sign-in")
    if language == "sv":
        async with anonymous.page.expect_navigation():
            await anonymous.page.click("form.language button[value='sv']")
        assert await anonymous.page.get_attribute("html", "lang") == "sv"
        assert await anonymous.page.inner_text("h1") == "Logga in"
    await anonymous.check()
    await anonymous.page.keyboard.press("Tab")  # the first stop of the keyboard: the skip link, shown
    skip = anonymous.page.locator(".skip-link")
    assert await skip.evaluate("link => link === document.activeElement") and await skip.is_visible()
    await anonymous.screenshot(f"{language}-sign-in")
    await anonymous.visit("/sign-in/development")
    async with anonymous.page.expect_navigation():  # neither an address nor a role: the error, in the language
        await anonymous.page.locator("main form button.button").click()
    await anonymous.check()
    await anonymous.screenshot(f"{language}-sign-in-error")
    for name, pages in MAIN_PAGES.items():
        visitor = await visitors(name, web)
        if language == "sv":
            await visitor.context.add_cookies([{"name": "kokemus_lang", "value": "sv", "url": web}])
        await visitor.sign_in(**WHO[name])
        for path in pages:
            page = await visitor.visit(path.format(**SEEN))
            assert await page.get_attribute("html", "lang") == language
            slug = re.sub(r"[^a-z0-9]+", "-", path.format(engagement="engagement", order="order")).strip("-")
            await visitor.screenshot(f"{language}-{name}-{slug}")
        if name in ("expert", "orderer"):  # the pages they may use on a phone
            await visitor.page.set_viewport_size({"width": 390, "height": 844})
            for path in pages[-2:]:
                await visitor.visit(path.format(**SEEN))
                slug = re.sub(r"[^a-z0-9]+", "-", path.format(engagement="engagement", order="order")).strip("-")
                await visitor.screenshot(f"{language}-{name}-{slug}-phone")

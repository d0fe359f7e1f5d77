"""The organization agreement through the browser: the coordinator drafts it (an end before its start is shown at
its field), reads it in Finnish and signs it for the county; the organization's contact person reads it in Swedish
on the organization's page, signs it for the organization and downloads it as PDF; the coordinator renews it (a
second version, signed again, the first still readable) and ends it with a reason. Every page is checked with
axe-core and kept as a screenshot under test-output/screenshots/."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from tests.web.steps import appoint_contact, fill, register_ngo, sign_agreement
from tests.web.system import system_with_web

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
UNTIL = TODAY + dt.timedelta(days=365)
DOCUMENT = "/agreements/mieli/mieli-2027"


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    async with system_with_web(servers, ("identity", "registry")) as url:
        yield url


async def test_drafted_signed_by_both_renewed_and_ended(web, visitors):
    coordinator = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = coordinator.page
    await register_ngo(coordinator, "mieli", "Mieli ry")
    await appoint_contact(coordinator, "mieli", "olli", "Olli Ohjaaja", "olli@mieli.fi")

    await coordinator.visit("/coordinator/organizations/mieli/agreement")
    await fill(coordinator, {"#f-agreement-id": "mieli-2027", "#f-valid-from": TODAY,
                             "#f-valid-until": TODAY - dt.timedelta(days=1), "#f-annual-fee": "2500"})
    await coordinator.submit()
    assert await page.locator(".error-summary a[href='#f-valid-until']").count() == 1
    assert await page.locator("#f-valid-until-error").is_visible()
    await coordinator.screenshot("agreement-draft-error")
    await fill(coordinator, {"#f-valid-until": UNTIL})
    await coordinator.submit()
    assert page.url.endswith(DOCUMENT)
    main = await page.inner_text("main")
    assert "Järjestösopimus" in main and "2\u00a0500,00\u00a0€ vuodessa" in main and "Odottaa allekirjoituksia" in main
    await sign_agreement(coordinator, "mieli", "mieli-2027")
    assert "Allekirjoitit sopimuksen." in await page.inner_text("body")
    assert await page.locator(f"form[action='{DOCUMENT}/sign']").count() == 0  # the county has signed
    await coordinator.screenshot("agreement-signed-by-the-county")

    contact = await visitors("contact person", web, locale="sv-SE")
    await contact.sign_in(email="olli@mieli.fi")
    await contact.visit("/organization/agreements")
    assert "Väntar på underskrifter" in await contact.page.inner_text("main")
    await contact.screenshot("agreement-organization-list-sv")
    await contact.visit(DOCUMENT)
    assert "Organisationsavtal" in await contact.page.inner_text("main")
    await contact.screenshot("agreement-to-sign-sv")
    await contact.submit(f"form[action='{DOCUMENT}/sign']")
    main = await contact.page.inner_text("main")
    assert "I kraft" in main and "undertecknat av olli" in main
    await contact.screenshot("agreement-in-force-sv")
    pdf = await contact.context.request.get(web + DOCUMENT + "/agreement.pdf?version=1",
                                            headers={"Accept-Language": "sv-SE"})
    assert pdf.ok and (await pdf.body()).startswith(b"%PDF-")
    assert "agreement-mieli-mieli-2027-v1-sv.pdf" in pdf.headers["content-disposition"]

    await coordinator.visit("/coordinator/organizations/mieli/agreements/mieli-2027/renew")
    await fill(coordinator, {"#f-valid-from": UNTIL + dt.timedelta(days=1),
                             "#f-valid-until": UNTIL + dt.timedelta(days=365)})
    await coordinator.screenshot("agreement-renewal-form")
    await coordinator.submit()
    assert page.url.endswith(DOCUMENT)
    main = await page.inner_text("main")
    assert "Versio 2" in main and "jatkaa sopimusta uudelle kaudelle" in main and "Jatko odottaa" in main
    await coordinator.screenshot("agreement-renewal-to-sign")
    await coordinator.visit(DOCUMENT + "?version=1")
    assert await page.locator(f"form[action='{DOCUMENT}/sign']").count() == 0  # version 1 is read, not signed

    await coordinator.visit("/coordinator/organizations/mieli/agreements/mieli-2027/end")
    await fill(coordinator, {"#f-ended-on": UNTIL})
    await page.check("#f-reason-3")  # both parties agreed
    await coordinator.submit()
    assert page.url.endswith("/coordinator/organizations/mieli")
    await coordinator.screenshot("agreement-ended")
    assert "Päättyi" in await page.inner_text("main")

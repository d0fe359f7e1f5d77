"""The registry in depth through the browser: the coordinator keeps the themes; the contact person registers an
expert and records her training; the expert writes her profile (a bad video link is shown at its field), her
availability and her consent, and asks to be listed; the contact person reviews and approves; the orderer finds her
by theme and reads her profile; the expert sees who looked; the coordinator reads the log and the situational
picture. Every page is checked with axe-core and kept as a screenshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from services.web.serve import listen
from tests.web.system import running_services, running_web, web_settings
from tests.web.test_journey import fill

pytestmark = pytest.mark.integration

TODAY = dt.date.today()


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    async with running_services(servers, ("identity", "registry")), \
            running_web(web_settings(servers.nats_url, port), listener) as running:
        yield running.url


async def test_a_profile_reviewed_into_the_bank_found_by_an_orderer_who_is_seen_looking(web, visitors):
    coordinator = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = coordinator.page
    await coordinator.visit("/coordinator/organizations/new")
    await fill(coordinator, {"#f-organization-id": "mieli", "#f-name": "Mieli ry"})
    await page.check("#f-kind")
    await coordinator.submit()
    await coordinator.visit("/coordinator/organizations/mieli/contact")
    await fill(coordinator, {"#f-person-id": "olli", "#f-name": "Olli Ohjaaja", "#f-email": "olli@mieli.fi"})
    await coordinator.submit()
    await coordinator.visit("/coordinator/orderers/new")
    await fill(coordinator, {"#f-orderer-id": "turun-koulu", "#f-orderer-name": "Turun koulu",
                             "#f-email": "rehtori@turku.fi"})
    await coordinator.submit()
    for theme_id, fi, sv, en in (("syomishairiot", "Syömishäiriöt", "Ätstörningar", "Eating disorders"),
                                 ("masennus", "Masennus", "Depression", "Depression")):
        await coordinator.visit("/coordinator/themes")
        await fill(coordinator, {"#f-theme-id": theme_id, "#f-name-fi": fi, "#f-name-sv": sv, "#f-name-en": en})
        await coordinator.submit()
    assert "Syömishäiriöt" in await page.inner_text("main")
    await coordinator.screenshot("registry-coordinator-themes")

    contact = await visitors("contact person", web)
    await contact.sign_in(email="olli@mieli.fi")
    await contact.visit("/organization/experts/new")
    await fill(contact, {"#f-expert-id": "maija", "#f-name": "Maija Mäkinen", "#f-email": "maija@example.org"})
    await contact.submit()
    await contact.visit("/organization/experts/maija/training")
    await fill(contact, {"#f-completed-on": TODAY - dt.timedelta(days=60)})
    await contact.submit()

    # The expert writes her profile: a video link that is no web address is refused at its field.
    expert = await visitors("expert", web)
    await expert.sign_in(email="maija@example.org")
    await expert.visit("/expert/profile")
    await expert.page.check("#theme-syomishairiot-own")
    await expert.page.check("#theme-masennus-relative")
    await expert.page.check("#task-talk")
    await fill(expert, {"#f-municipality": "Turku", "#f-regions": "Varsinais-Suomi", "#f-languages": "fi, sv",
                        "#f-introduction": "Kerron toipumisesta opiskelijoille.", "#f-video-url": "ftp://video"})
    await expert.submit()
    assert await expert.page.locator(".error-summary a[href='#f-video-url']").count() == 1
    assert await expert.page.get_attribute("#f-video-url", "aria-invalid") == "true"
    assert await expert.page.is_checked("#theme-syomishairiot-own")  # what she chose is kept
    await expert.screenshot("registry-expert-profile-error")
    await fill(expert, {"#f-video-url": "https://video.example.org/maija"})
    await expert.submit()
    assert expert.page.url.endswith("/expert")
    await expert.visit("/expert/availability")
    await expert.page.uncheck("#weekday-6")
    await expert.page.uncheck("#weekday-7")
    await fill(expert, {"#f-blackouts-0-starts-on": TODAY + dt.timedelta(days=30),
                        "#f-blackouts-0-ends-on": TODAY + dt.timedelta(days=20)})
    await expert.submit()
    assert await expert.page.locator(".error-summary a[href='#f-blackouts-0-ends-on']").count() == 1
    await expert.screenshot("registry-expert-availability-error")
    await fill(expert, {"#f-blackouts-0-ends-on": TODAY + dt.timedelta(days=40)})
    await expert.submit()
    await expert.visit("/expert/consents")
    await expert.submit("main form[method=post]:not(.inline-form)")
    assert "Valid until" in await expert.page.inner_text("main") or "Voimassa" in await expert.page.inner_text("main")
    await expert.screenshot("registry-expert-consents")
    await expert.visit("/expert")
    await expert.submit("form[action='/expert/profile/submit']")
    await expert.screenshot("registry-expert-profile-waiting")

    # The contact person reviews and approves: she is listed.
    await contact.visit("/organization/reviews")
    await contact.screenshot("registry-contact-reviews")
    await contact.visit("/organization/reviews/maija")
    assert "Kerron toipumisesta" in await contact.page.inner_text("main")
    await contact.screenshot("registry-contact-review")
    await contact.submit("form[action$='/approve']")
    await expert.visit("/expert")
    assert "Kyllä" in await expert.page.locator("main dl").first.inner_text()

    # The orderer finds her by theme, and reads her profile.
    orderer = await visitors("orderer", web)
    await orderer.sign_in(email="rehtori@turku.fi")
    await orderer.visit("/bank?theme=syomishairiot&relation=own&language=sv")
    assert "Maija Mäkinen" in await orderer.page.inner_text("main")
    await orderer.screenshot("registry-orderer-bank")
    weekend = TODAY + dt.timedelta(days=(5 - TODAY.weekday()) % 7 or 7)  # a Saturday
    await orderer.visit("/bank?theme=syomishairiot")
    await fill(orderer, {"#f-available-on": weekend})
    await orderer.submit("form.search")
    assert "Maija Mäkinen" not in await orderer.page.inner_text("main")
    assert await orderer.page.input_value("#f-available-on-year") == str(weekend.year)  # the search is kept
    await orderer.visit("/bank/experts/maija")
    assert "https://video.example.org/maija" in await orderer.page.inner_text("main")
    await orderer.screenshot("registry-orderer-expert")

    # The expert sees who looked; the coordinator reads the log and the situational picture.
    await expert.visit("/expert/views")
    assert "Turun koulu" in await expert.page.inner_text("main")
    await expert.screenshot("registry-expert-views")
    # Her own data from every service, on one page (the right of access), the log of who looked included.
    await expert.visit("/expert/my-data")
    mine = await expert.page.inner_text("main")
    assert "maija@example.org" in mine and "turun-koulu" in mine  # her profile, and who looked at it
    await expert.screenshot("registry-expert-my-data")
    await coordinator.visit("/coordinator/access-log?expert_id=maija")
    assert "turun-koulu" in await page.inner_text("main") or "Turun koulu" in await page.inner_text("main")
    await coordinator.screenshot("registry-coordinator-access-log")
    await coordinator.visit("/coordinator/situation")
    assert "Syömishäiriöt: 1" in await page.inner_text("main")
    await coordinator.screenshot("registry-coordinator-situation")
    csv = await coordinator.context.request.get(web + "/coordinator/situation.csv")
    assert csv.ok and "Mieli ry" in await csv.text()

    # Another expert may not read hers; an orderer may not review.
    await orderer.visit("/organization/reviews", status=403, check=False)

    # The orderer's own data: their record, the profiles they looked at, their sign-ins, the field names in Finnish;
    # a service not running here is named, the rest still shown.
    await orderer.visit("/orderer/my-data")
    mine = await orderer.page.inner_text("main")
    assert "rehtori@turku.fi" in mine and "Sähköpostiosoite" in mine and "maija" in mine  # whom they looked at
    assert "Kirjautumiseni" in mine and "Ei juuri nyt saatavilla" in mine and "email" not in mine
    await orderer.screenshot("registry-orderer-my-data")
    # The contact person's, in Swedish.
    swedish = await visitors("contact person, in Swedish", web, locale="sv-SE")
    await swedish.sign_in(email="olli@mieli.fi")
    await swedish.visit("/organization/my-data")
    his = await swedish.page.inner_text("main")
    assert "Olli Ohjaaja" in his and "olli@mieli.fi" in his and "Mieli ry" in his and "E-postadress" in his
    assert "Inloggningar" in his
    await swedish.screenshot("registry-contact-my-data-sv")
    download = await swedish.context.request.get(web + "/organization/my-data.json")
    assert download.ok and '"olli@mieli.fi"' in await download.text()

    # The orderer objects to the processing of their data: the coordinator erases it on that ground.
    await coordinator.visit("/coordinator/orderers/turun-koulu/erase")
    await coordinator.submit()  # no ground chosen: named at the field, nothing erased
    assert await page.locator("#f-ground-error").count() == 1
    await page.check("#f-ground-3")  # the person objected to the processing
    await coordinator.screenshot("registry-coordinator-erase-orderer")
    await coordinator.submit()
    assert "Turun koulu" not in await page.inner_text("main")
    await coordinator.screenshot("registry-coordinator-orderers-after-erasure")
    await orderer.visit("/bank", status=403, check=False)  # their credentials ended with the erasure

    # The contact person leaves and asks for their data to go: erased from every organization they served.
    await coordinator.visit("/coordinator/organizations/mieli")
    assert "Olli Ohjaaja" in await page.inner_text("main")
    await page.click("text=Poista tiedot")
    await page.check("#f-ground-2")  # they withdrew their consent
    await coordinator.submit()
    assert coordinator.page.url.endswith("/coordinator/organizations/mieli")
    assert "Olli Ohjaaja" not in await page.inner_text("main")
    await coordinator.screenshot("registry-coordinator-organization-after-erasure")


async def test_a_cohort_completes_a_programme_module_by_module(web, visitors):
    coordinator = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = coordinator.page
    await coordinator.visit("/coordinator/organizations/new")
    await fill(coordinator, {"#f-organization-id": "varha", "#f-name": "Varha"})
    await page.check("#f-kind-2")
    await coordinator.submit()
    await coordinator.visit("/coordinator/organizations/varha/contact")
    await fill(coordinator, {"#f-person-id": "kaisa", "#f-name": "Kaisa K", "#f-email": "kaisa@varha.fi"})
    await coordinator.submit()
    contact = await visitors("county contact", web)
    await contact.sign_in(email="kaisa@varha.fi")
    await contact.visit("/organization/experts/new")
    await fill(contact, {"#f-expert-id": "pekka", "#f-name": "Pekka P", "#f-email": "pekka@example.org"})
    await contact.submit()
    await contact.visit("/organization/programmes/new")
    await fill(contact, {"#f-programme-id": "varha-pilot", "#f-name": "Varhan pilottikoulutus",
                         "#f-modules": "Kokemusasiantuntijuuden rakentuminen, Tietoa kokemuksen rinnalle, "
                                       "Minä kokemusasiantuntijana"})
    await contact.submit()
    await contact.visit("/organization/cohorts/new")
    await fill(contact, {"#f-cohort-id": "varha-2022", "#f-starts-on": dt.date(2022, 9, 1),
                         "#f-ends-on": dt.date(2023, 4, 30)})
    await contact.submit()
    assert contact.page.url.endswith("/organization/cohorts/varha-2022")
    await fill(contact, {"#e-expert": "pekka"})
    await contact.submit("main form:has(input[value=enroll])")
    # A day that does not exist is named at its field, and nothing is recorded.
    await contact.page.select_option("#c-module", "m1")
    await fill(contact, {"#f-completed-on": "31", "#f-completed-on-month": "2", "#f-completed-on-year": "2023"})
    await contact.submit("main form:has(input[value=complete])")
    assert await contact.page.locator("#f-completed-on-error").count() == 1
    assert "Kyllä" not in await contact.page.inner_text("main table")
    for module, day in (("m1", dt.date(2022, 10, 1)), ("m2", dt.date(2023, 1, 15)), ("m3", dt.date(2023, 4, 30))):
        await contact.page.select_option("#c-module", module)
        await fill(contact, {"#f-completed-on": day})
        await contact.submit("main form:has(input[value=complete])")
    assert "Kyllä" in await contact.page.inner_text("main table")
    await contact.screenshot("registry-contact-cohort")
    await contact.visit("/organization/experts/pekka")
    assert "Varhan pilottikoulutus" in await contact.page.inner_text("main")
    await contact.visit("/organization/trainings")
    await contact.screenshot("registry-contact-trainings")

"""Follow-up through the browser, on the whole system: five of Maija's lectures for Turun koulu delivered and
both forms answered (set up over NATS), one self-assessment telling of a hard assignment. The coordinator reads
the follow-up report with its charts (each saved as SVG under test-output/charts, the page as a screenshot)
and the questionnaires; Mieli's contact person sees the wellbeing follow-up. Every page is checked with
axe-core."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from services.web.serve import listen
from tests.web.conftest import Visitor
from tests.web.system import running_services, running_web, web_settings
from tests.web.test_expenses_pages import COORDINATOR, MAIJA, SCHOOL, asking, engagement, people

pytestmark = pytest.mark.integration

CHARTS = Path(__file__).resolve().parents[2] / "test-output" / "charts"
WELLBEING = [2, 4, 4, 5, 3]  # Maija's own wellbeing after each lecture: one hard
USEFULNESS = [5, 4, 4, 3, 4]  # the school's view: (5 + 4 + 4 + 3 + 4) / 5 = 4.0


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    async with running_services(servers), running_web(web_settings(servers.nats_url, port), listener) as running:
        nc = await nats.connect(servers.nats_url)
        try:
            await people(nc)
            ask, until = asking(nc)
            for at, (wellbeing, usefulness) in enumerate(zip(WELLBEING, USEFULNESS, strict=True)):
                engagement_id = await engagement(nc, f"Toipuminen {at}", sign_and_deliver=True)
                body = {"engagement_id": engagement_id}
                await until("contracts.cmd.record_payment", {"actor": COORDINATOR, **body})  # once approved
                await until("feedback.query.get_feedback", {"actor": MAIJA, **body})
                await ask("feedback.cmd.submit_feedback", {"actor": MAIJA, **body, "form": "self_assessment",
                                                           "ratings": {"preparation": 4, "own_wellbeing": wellbeing,
                                                                       "experience_heard": 5, "would_do_again": 5}})
                await ask("feedback.cmd.submit_feedback", {"actor": SCHOOL, **body, "form": "orderer_feedback",
                                                           "ratings": {"usefulness": usefulness, "cooperation": 5,
                                                                       "expert_preparation": 4,
                                                                       "would_order_again": 5}})
        finally:
            await nc.close()
        yield running.url


async def test_the_report_its_charts_and_the_questionnaires(web, visitors):
    coordinator: Visitor = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = await coordinator.visit("/coordinator/report")
    main = await page.inner_text("main")
    assert "Itsearviointi ja tilaajan palaute rinnakkain" in main
    dimensions = page.locator("table").nth(0)
    usefulness = dimensions.locator("tr", has_text="Hyödyllisyys")
    assert (await usefulness.locator("td").all_inner_texts())[1:] == ["–", "4"]
    preparation = dimensions.locator("tr", has_text="Valmistautuminen")
    assert (await preparation.locator("td").all_inner_texts())[1:] == ["4", "4"]
    charts = page.locator("figure.chart-figure svg[role=img]")
    assert await charts.count() == 2
    CHARTS.mkdir(parents=True, exist_ok=True)
    for at, name in enumerate(("follow-up-dimensions", "follow-up-answer-rate")):
        svg = await charts.nth(at).evaluate("node => node.outerHTML")
        (CHARTS / f"{name}.svg").write_text(svg)
        assert "<title" in svg and "<desc" in svg
    # 4.0 of 5 is a bar four fifths of the plot's 360 points long: both forms' preparation and the school's
    # usefulness; 5.0 is the whole plot: the expert's experience heard and the school's cooperation; what a
    # form of version 1 does not ask has no bar (usefulness and cooperation on the self-assessment, the
    # experience heard and the expert's wellbeing on the school's feedback).
    assert await charts.nth(0).locator("rect[width='288.0']").count() == 3
    assert await charts.nth(0).locator("rect[width='360.0']").count() == 2
    assert await charts.nth(0).locator("rect[width='0.0']").count() == 4
    await coordinator.screenshot("follow-up-report")
    await coordinator.visit("/coordinator/report?by=task_type")
    await coordinator.screenshot("follow-up-report-by-task-kind")
    # The fees paid for the five lectures, and no expenses (no journey); Maija is listed in no region.
    page = await coordinator.visit("/coordinator/report?by=region")
    summary = page.locator("dl.summary-list")
    fees = await summary.locator("div", has_text="Maksetut palkkiot").locator("dd").inner_text()
    assert "€" in fees and not fees.startswith("0,00")
    assert (await summary.locator("div", has_text="Maksetut kulukorvaukset").locator("dd").inner_text()
            ).replace("\xa0", " ") == "0,00 €"
    table = page.locator("table", has_text="Eriteltynä: Alue")
    assert "Maksetut palkkiot" in await table.locator("thead").inner_text()
    [row] = await table.locator("tbody tr").all_inner_texts()
    assert row.startswith("Ei tiedossa") and fees in row
    await coordinator.screenshot("follow-up-report-by-region")

    await coordinator.visit("/coordinator/questionnaires")
    assert "Sain riittävästi tietoa tehtävään valmistautumiseen." in await coordinator.page.inner_text("main")
    await coordinator.visit("/coordinator/questionnaires/self_assessment")
    await coordinator.screenshot("questionnaire-new-version")


async def test_the_contact_person_sees_the_hard_assignment(web, visitors):
    contact: Visitor = await visitors("contact", web)
    await contact.sign_in(email="olli@mieli.fi")
    page = await contact.visit("/organization/wellbeing")
    rows = page.locator("main table tbody tr")
    assert await rows.count() == 1
    assert "Maija Mäkinen" in await rows.first.inner_text()
    assert dt.date.today().strftime("%-d.%-m.%Y") in await rows.first.inner_text()
    await contact.screenshot("wellbeing-follow-ups")
    # She got in touch with Maija: the follow-up is handled and leaves the list.
    await contact.submit("main table form")
    assert "Ei seurattavia." in await page.inner_text("main")


async def test_the_coordinator_defines_a_new_version_through_its_page(web, visitors):
    coordinator: Visitor = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    page = await coordinator.visit("/coordinator/questionnaires/self_assessment")
    # Version 1 asks neither usefulness nor cooperation: saved as it is, the page says what is missing.
    await coordinator.submit()
    assert "usefulness" in await page.inner_text(".error-summary")
    # Two questions added in the empty groups below the four of version 1.
    for at, (dimension, fi, sv, en) in enumerate((
            ("usefulness", "Tehtävästä oli hyötyä.", "Uppdraget var till nytta.", "The assignment was useful."),
            ("cooperation", "Yhteistyö sujui.", "Samarbetet gick bra.", "Cooperation went well.")), start=4):
        await page.fill(f"#f-questions-{at}-id", dimension)
        await page.select_option(f"#f-questions-{at}-kind", "scale")
        await page.select_option(f"#f-questions-{at}-dimension", dimension)
        for lang, text in (("fi", fi), ("sv", sv), ("en", en)):
            await page.fill(f"#f-questions-{at}-text-{lang}", text)
    await coordinator.submit()
    assert page.url.endswith("/coordinator/questionnaires")
    main = await page.inner_text("main")
    assert "Itsearvio: versio 2" in main and "Tehtävästä oli hyötyä." in main
    await coordinator.screenshot("questionnaires-version-2")

"""A change of the task after the expert accepted it, in the browser: the orderer moves the order to another day,
the expert sees the change proposed on her engagement and accepts it, and the contract gets a new version both sign
again; the orderer sees the change waiting, then the amended contract. Every page is checked with axe-core, and the
pages are kept as screenshots."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest

from tests.web.conftest import Visitor
from tests.web.steps import fill, main_text, ngo_with_aino_and_an_orderer
from tests.web.system import system_with_web

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
TASK_DAY = TODAY + dt.timedelta(days=14)
NEW_DAY = TODAY + dt.timedelta(days=16)


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    async with system_with_web(servers) as url:
        yield url


async def test_the_expert_accepts_a_change_and_the_contract_gets_a_new_version(web, visitors):
    _, orderer = await ngo_with_aino_and_an_orderer(visitors, web, TODAY)

    # The orderer offers the task to Aino, whom she knows; Aino takes it on.
    async def place() -> None:
        await orderer.poll("/orderer/orders/new")
        await orderer.page.select_option("#f-task-type", "lecture")
        await fill(orderer, {"#f-topic": "Vertaistuki nuorille", "#f-place": "Turku", "#f-date": TASK_DAY,
                             "#f-duration-hours": "2", "#f-expert-id": "aino"})
        await orderer.submit(check=False)

    await orderer.until(place, lambda: _at(orderer, r"/orders/[0-9a-f-]{36}$"), "offering the task to Aino")
    order_id = orderer.page.url.rsplit("/", 1)[1]
    expert = await visitors("expert", web)
    await expert.sign_in(email="aino@example.org")
    await expert.visit("/expert/offers")
    await expert.submit("form[action$='/accept']")
    assert re.search(r"/engagements/[0-9a-f-]{36}$", expert.page.url)
    engagement = expert.page.url.removeprefix(web)
    assert not await expert.shows("#proposed-change")

    # The orderer moves the task two days on, and to another place.
    await orderer.visit(f"/orders/{order_id}")
    async with orderer.page.expect_navigation():
        await orderer.page.click(f"a[href='/orders/{order_id}/change']")
    await orderer.check()
    await fill(orderer, {"#f-date": NEW_DAY, "#f-place": "Kupittaan koulu"})
    await orderer.submit()
    assert orderer.page.url.endswith(f"/orders/{order_id}")
    await orderer.visit(engagement)
    assert "Odottaa kokemusasiantuntijan vastausta." in await main_text(orderer)
    assert not await orderer.shows("form[action$='/change/accept']")  # only the expert answers

    # Aino sees the change on her engagement, with the terms as they are and as proposed, and accepts it.
    await expert.visit(engagement)
    proposed = await expert.page.inner_text("#proposed-change")
    assert "Tehtävän muutos" in proposed and "Kupittaan koulu" in proposed and "Turku" in proposed
    await expert.screenshot("change-proposed-to-the-expert")
    await expert.submit("form[action$='/change/accept']")
    assert expert.page.url.endswith(engagement)
    assert not await expert.shows("#proposed-change")
    assert "Kupittaan koulu" in await main_text(expert)
    await expert.screenshot("change-accepted-by-the-expert")

    # The contracts service amends the contract a moment later: both sign its new version.
    await expert.until(lambda: expert.poll(engagement), lambda: expert.shows("#amendment-to-sign"),
                       "the contract's amendment")
    assert "versio 2" in (await main_text(expert)).lower()
    await expert.screenshot("change-amends-the-contract")
    await orderer.visit(engagement)
    assert await orderer.shows("#amendment-to-sign")


async def _at(visitor: Visitor, pattern: str) -> bool:
    return re.search(pattern, visitor.page.url) is not None

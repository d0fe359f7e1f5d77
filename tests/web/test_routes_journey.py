"""An order through an organization, in the browser: the orderer addresses it to an NGO, whose contact person finds
it among the incoming orders and proposes a trained member who is not in the bank; she takes the task on. Every
step is a page and a form, each page checked with axe-core."""

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


@pytest.fixture(scope="module")
async def web(servers) -> AsyncIterator[str]:
    async with system_with_web(servers) as url:
        yield url


async def test_an_order_through_an_organization_to_its_member_not_in_the_bank(web, visitors):
    # The contact person registers Aino and records her basic training: she is never listed in the bank.
    contact, orderer = await ngo_with_aino_and_an_orderer(visitors, web, TODAY)

    # The orderer addresses an order to the organization (orders learns of it a moment after the registry).

    async def place() -> None:
        await orderer.poll("/orderer/orders/new")
        await orderer.page.select_option("#f-task-type", "lecture")
        await fill(orderer, {"#f-topic": "Vertaistuki nuorille", "#f-place": "Turku",
                             "#f-date": TODAY + dt.timedelta(days=14), "#f-duration-hours": "2"})
        await orderer.page.select_option("#f-organization-id", "mieli")
        await orderer.submit(check=False)

    await orderer.until(place, lambda: _at(orderer, r"/orders/[0-9a-f-]{36}$"), "addressing the order")
    order_id = orderer.page.url.rsplit("/", 1)[1]
    assert "Järjestön kautta" in await main_text(orderer)

    # The contact person finds it among the incoming orders and proposes Aino.
    await contact.visit("/organization/orders")
    assert "Vertaistuki nuorille" in await main_text(contact)
    async with contact.page.expect_navigation():
        await contact.page.click(f"a[href='/organization/orders/{order_id}']")
    await contact.check()
    assert "Aino Aalto" in await main_text(contact)

    async def propose() -> None:
        await contact.poll(f"/organization/orders/{order_id}")
        if await contact.shows("#f-candidates"):
            await contact.page.fill("#f-candidates", "aino")
            await contact.submit(f"form[action='/organization/orders/{order_id}/propose']", check=False)

    await contact.until(propose, lambda: contact.shows("main .tag--open"), "proposing Aino")

    # Aino takes the task on; the orderer sees it accepted.
    expert = await visitors("expert", web)
    await expert.sign_in(email="aino@example.org")
    await expert.visit("/expert/offers")
    assert "Vertaistuki nuorille" in await main_text(expert)
    await expert.submit("form[action$='/accept']")
    assert re.search(r"/engagements/[0-9a-f-]{36}$", expert.page.url)
    await orderer.visit(f"/orders/{order_id}")
    assert await orderer.shows("main .tag--accepted")


async def _at(visitor: Visitor, pattern: str) -> bool:
    return re.search(pattern, visitor.page.url) is not None

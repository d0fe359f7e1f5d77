"""Fixtures of the web tests: one Chromium per test session, a browser context per person, and a helper that
drives a person's pages, runs axe-core on each and keeps screenshots."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.web.browser import SCREENSHOTS, ensure_chromium, serious_violations

AXE = Axe()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = ensure_chromium()
    async with async_playwright() as playwright:
        # Finnish for what the browser itself draws (a date field's placeholder): the pages set their own language.
        launched = await playwright.chromium.launch(executable_path=str(executable), args=["--lang=fi-FI"])
        try:
            yield launched
        finally:
            await launched.close()


class Visitor:
    """One person in their own browser context (their own cookies): every page they open is checked with
    axe-core, and must answer with the status the test expects."""

    def __init__(self, name: str, context: BrowserContext, page: Page, base_url: str) -> None:
        self.name = name
        self.context = context
        self.page = page
        self.base_url = base_url
        self.checked: set[str] = set()

    async def visit(self, path: str, status: int = 200, check: bool = True) -> Page:
        response = await self.page.goto(self.base_url + path)
        assert response is not None
        assert response.status == status, f"{self.name}: {path} answered {response.status}, not {status}"
        if check:
            await self.check()
        return self.page

    async def poll(self, path: str) -> Page:
        """Open a page again while waiting for another service: checked once it shows what is awaited."""
        return await self.visit(path, check=False)

    async def check(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        results = await AXE.run(self.page)
        problems = serious_violations(results.response)
        assert not problems, f"{self.name} on {self.page.url}:\n" + "\n".join(problems)
        self.checked.add(self.page.url.split("?")[0].removeprefix(self.base_url))

    async def submit(self, form: str = "main form[method=post]", check: bool = True) -> None:
        async with self.page.expect_navigation():
            await self.page.locator(f"{form} button.button, {form} button.link-button").last.click()
        if check:
            await self.check()

    async def until(self, attempt: Callable[[], Awaitable[Any]], done: Callable[[], Awaitable[bool]],
                    what: str, timeout: float = 40.0) -> None:
        """Repeat ``attempt`` until ``done``: for what another service learns a moment later."""
        deadline = time.monotonic() + timeout
        while True:
            await attempt()
            if await done():
                await self.check()
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {what} did not happen in {timeout:.0f} s; at {self.page.url}")
            await asyncio.sleep(0.5)

    async def shows(self, selector: str) -> bool:
        return await self.page.locator(selector).count() > 0

    async def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def sign_in(self, *, email: str | None = None, staff_role: str | None = None) -> None:
        """The development sign-in (its page is checked with axe-core where a test opens it on purpose)."""
        await self.visit("/sign-in/development", check=False)
        if email:
            await self.page.fill("#f-email", email)
        if staff_role:
            await self.page.check("#f-staff-role" if staff_role == "coordinator" else "#f-staff-role-2")
        await self.submit(check=False)
        assert "/sign-in" not in self.page.url, f"{self.name} could not sign in: {await self.page.inner_text('main')}"


@pytest.fixture
async def visitors(browser: Browser) -> AsyncIterator[Callable[..., Awaitable[Visitor]]]:
    contexts: list[BrowserContext] = []

    async def open_visitor(name: str, base_url: str, locale: str = "fi-FI") -> Visitor:
        context = await browser.new_context(locale=locale, viewport={"width": 1100, "height": 800})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Visitor(name, context, await context.new_page(), base_url)

    yield open_visitor
    for context in contexts:
        await context.close()

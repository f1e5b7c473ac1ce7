"""Real-browser fixtures: Debian's Chromium driven by Playwright (sync API) against a real uvicorn on 127.0.0.1.

The browser is started once per test module, not per session: while Playwright's sync API is running it leaves an
event loop marked as running on the main thread, and a later non-browser test on the same xdist worker calling
``asyncio.run`` would fail. Module scope tears it down before pytest moves on to another module.

Every page is guarded: a request to anything but the server under test is aborted and recorded, and so are uncaught
script errors and console errors; the ``page`` fixture fails the test at teardown if any happened (tests that expect
an HTTP refusal may ``watch.allow_http_errors()``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browsing import AUDIT_SCRIPT, Watch
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.core_live import live_server

CHROMIUM = Path(os.environ.get("QM_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, headless, for the tests of one module (skipped with a reason where it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def app(settings: Settings, clock: FixedClock, database: Database) -> FastAPI:
    """The whole app on this test's database and clock (as the ``client`` fixture builds it)."""
    return create_app(settings, clock=clock, database=database)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1; its base URL."""
    with live_server(app) as base:
        yield base


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    """An HTTP client on the live server, for seeding through the API (``support.flows`` accepts it)."""
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
def watch(server: str) -> Watch:
    """The record of off-site requests and script and console errors of this test's pages."""
    return Watch(server)


@pytest.fixture
def new_context(browser: Browser, server: str, watch: Watch) -> Iterator[Callable[..., BrowserContext]]:
    """Open a guarded browser context (options as for ``browser.new_context``); all are closed after the test."""
    contexts: list[BrowserContext] = []
    local = re.compile(rf"^{re.escape(server)}(/|$)")

    def route(route: Route) -> None:
        url = route.request.url
        if local.match(url) or url.startswith(("data:", "about:")):
            route.continue_()
        else:
            watch.offsite.append(url)
            route.abort()

    def open_context(**options: Any) -> BrowserContext:
        options = {"base_url": server, "locale": "uk-UA", "viewport": {"width": 1280, "height": 800}} | options
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.route("**/*", route)
        context.on("page", lambda page: _listen(page, watch))
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def _listen(page: Page, watch: Watch) -> None:
    page.on("pageerror", lambda error: watch.script_errors.append(f"script error: {error}"))
    page.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)


@pytest.fixture
def page(new_context: Callable[..., BrowserContext], watch: Watch) -> Iterator[Page]:
    """A page in a Ukrainian-speaking desktop browser; the test fails if it went off-site or logged errors."""
    context = new_context()
    tab = context.new_page()
    yield tab
    assert watch.unexpected() == []


@pytest.fixture
def audit() -> Callable[[Page], list[str]]:
    """Accessibility checks that need no extra package: labels, names, alt text, lang, title, landmarks."""

    def run(page: Page) -> list[str]:
        problems: list[str] = page.evaluate(AUDIT_SCRIPT)
        return problems

    return run

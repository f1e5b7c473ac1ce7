"""The front page in a real browser: languages, keyboard use, nothing loaded from elsewhere, accessibility, phones."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browsing import Watch
from playwright.sync_api import BrowserContext, Page, expect

UK_HEADING = "Оборонні закупівлі — відкрито"
EN_HEADING = "Defence procurement, in the open"


@pytest.mark.parametrize(
    ("locale", "lang", "heading"),
    [("uk-UA", "uk", UK_HEADING), ("de-DE", "uk", UK_HEADING), ("en-GB", "en", EN_HEADING)],
    ids=["ukrainian", "neither", "english"],
)
def test_the_front_page_speaks_the_browsers_language_and_ukrainian_otherwise(
    new_context: Callable[..., BrowserContext], watch: Watch, locale: str, lang: str, heading: str
) -> None:
    page = new_context(locale=locale).new_page()

    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert watch.unexpected() == []


def test_the_language_switch_works_with_the_keyboard_alone_and_is_remembered(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Перейти до змісту")).to_be_focused()  # the skip link comes first

    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "lang-select":
            break
        page.keyboard.press("Tab")
    select = page.get_by_label("Мова")
    expect(select).to_be_focused()
    page.keyboard.press("ArrowDown")  # Українська → English
    expect(select).to_have_value("en")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Змінити")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(EN_HEADING)
    expect(page.get_by_label("Language")).to_have_value("en")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(EN_HEADING)  # the choice is kept in a cookie


def test_the_front_page_loads_only_from_its_own_server_runs_htmx_and_logs_no_errors(
    page: Page, watch: Watch, server: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/")
    page.wait_for_load_state("networkidle")

    assert f"{server}/static/htmx-2.0.11.min.js" in requested
    assert f"{server}/static/app.css" in requested
    assert all(url.startswith(f"{server}/") for url in requested), requested
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.version") == "2.0.11"
    assert watch.console_errors == []
    assert watch.script_errors == []


def test_the_guard_stops_and_reports_a_request_to_another_site(page: Page, watch: Watch) -> None:
    page.goto("/")

    with page.expect_event("requestfailed") as failed:
        page.evaluate("() => { const i = new Image(); i.src = 'https://cdn.example.org/x.png'; }")

    assert failed.value.url == "https://cdn.example.org/x.png"
    assert watch.offsite == ["https://cdn.example.org/x.png"]
    watch.offsite.clear()  # proven: the guard works; leave the page fixture nothing to complain about
    watch.console_errors.clear()


@pytest.mark.parametrize("locale", ["uk-UA", "en-GB"])
def test_the_front_page_passes_the_accessibility_checks(
    new_context: Callable[..., BrowserContext], audit: Callable[[Page], list[str]], locale: str
) -> None:
    page = new_context(locale=locale).new_page()
    page.goto("/")

    assert audit(page) == []


def test_the_accessibility_checks_find_an_unlabelled_control_and_an_image_without_alt(
    page: Page, audit: Callable[[Page], list[str]]
) -> None:
    page.goto("/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend', '<input id="nameless" type="text"><img class="plain">');
        }"""
    )

    problems = audit(page)

    assert any(p.startswith('control without a label: <input id="nameless"') for p in problems), problems
    assert any(p.startswith("image without alt: <img") for p in problems), problems


@pytest.mark.parametrize("locale", ["uk-UA", "en-GB"])
def test_a_phone_sees_the_front_page_without_scrolling_sideways(
    new_context: Callable[..., BrowserContext], locale: str
) -> None:
    phone = new_context(
        locale=locale, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = phone.new_page()

    page.goto("/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("window.innerWidth") == 375
    for link in page.get_by_role("navigation").get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 375

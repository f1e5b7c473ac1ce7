"""WCAG 2.1 AA in a real browser: the audit (labels, names, landmarks and text contrast) on every public page, on a
desktop and on a phone, in both languages; no sideways scrolling on the phone; and the keyboard's way in."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from browsing import AUDIT_SCRIPT
from playwright.sync_api import BrowserContext, Page, expect

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.world import World

PAGES = ["/", "/tenders", "/tenders/{tender_id}", "/open-data", "/dashboard", "/login"]
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def flow(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """Drives processes through the live server's API (``support.flows`` with an httpx client)."""
    return ContractFlow(api, world, clock, database)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", PAGES, ids=["front", "search", "tender", "open-data", "dashboard", "login"])
@pytest.mark.parametrize("locale", ["uk-UA", "en-GB"], ids=["uk", "en"])
def test_every_public_page_passes_the_audit_on_a_desktop_and_a_phone(
    new_context: Callable[..., BrowserContext],
    flow: ContractFlow,
    audit: Callable[[Page], list[str]],
    path: str,
    locale: str,
) -> None:
    url = path.format(**flow.signed())  # a signed contract: the tender page shows its award, the search a row
    desktop = new_context(locale=locale).new_page()
    phone = new_context(locale=locale, **PHONE).new_page()
    for page in (desktop, phone):
        response = page.goto(url)
        assert response is not None
        assert response.status == 200
        assert audit(page) == [], (url, page.viewport_size)
    overflow = phone.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )
    assert overflow <= 0, f"{url} scrolls sideways on a 375 px phone by {overflow} px"


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_content(
    page: Page, audit: Callable[[Page], list[str]]
) -> None:
    page.goto("/tenders")

    page.keyboard.press("Tab")

    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0  # on screen once focused, not parked at -9999px
    assert audit(page) == []  # the focused skip link's own contrast included
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # Following the link moves the focus starting point to <main>: the next Tab stops on the first control of the
    # content (the search box), not on the header's links after the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    first_in_main = page.evaluate(
        """() => [...document.querySelectorAll('main a[href], main input:not([type=hidden]), main select,'
                + ' main button, main textarea')].find((el) => el.offsetParent !== null)"""
        " === document.activeElement"
    )
    assert first_in_main


def test_the_contrast_check_finds_text_too_faint_to_read(page: Page) -> None:
    """The audit is not blind: pale grey on white and white on yellow are reported, large text gets 3:1."""
    page.goto("/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<p id="pale" style="color:#999999;background:#ffffff">pale grey</p>'
            + '<div style="background:rgba(255,200,0,0.5)">'
            + '<p id="onyellow" style="color:#ffffff">white on yellow</p></div>'
            + '<p id="big" style="color:#8a8a8a;font-size:24px">large and grey enough</p>'
            + '<p id="fine" style="color:#595959">dark enough grey</p>'
            + '<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);'
            + 'color:#eee">hidden</span>');
        }"""
    )

    problems: list[str] = page.evaluate(AUDIT_SCRIPT)

    faint = [p for p in problems if p.startswith("contrast")]
    assert any('"pale grey"' in p and "< 4.5:1" in p for p in faint), faint
    assert any('"white on yellow"' in p for p in faint), faint
    assert not any("large and grey enough" in p for p in faint), faint  # 3.5:1 is enough at 24 px
    assert not any("dark enough grey" in p for p in faint), faint  # #595959 on white is 7:1
    assert not any('"hidden"' in p for p in faint), faint
    assert len(faint) == 2, faint

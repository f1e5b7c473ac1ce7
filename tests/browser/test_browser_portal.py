"""The public portal in a real browser: searching tenders with HTMX, a tender's page, the result of a process."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from browsing import Watch
from playwright.sync_api import BrowserContext, Page, expect

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import Flow
from support.world import World


@pytest.fixture
def flow(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """Drives processes through the live server's API (``support.flows`` with an httpx client)."""
    return ContractFlow(api, world, clock, database)  # type: ignore[arg-type]


def published(flow: Flow, title: str) -> str:
    """A published open tender titled ``title``; its id."""
    tender = flow.create(title=title)
    flow.publish(tender["id"])
    return str(tender["id"])


def test_typing_in_the_search_box_narrows_the_results_without_loading_a_new_page(
    page: Page, flow: ContractFlow, audit: Callable[[Page], list[str]]
) -> None:
    rations = published(flow, "Ration packs for the winter")
    published(flow, "Night vision goggles")
    page.goto("/tenders")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    assert audit(page) == []
    page.evaluate("window.loadedOnce = true")  # a full page load would forget this

    page.get_by_label("Текст у назві або описі").press_sequentially("ration")

    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_text("Ration packs for the winter")
    assert page.evaluate("window.loadedOnce") is True
    assert "q=ration" in page.url  # the filter is in the address bar: the result can be bookmarked and shared
    page.get_by_role("link", name="Ration packs for the winter").click()
    expect(page).to_have_url(f"{flow.c.base_url}/tenders/{rations}")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ration packs for the winter")


def test_a_search_that_matches_nothing_says_so_and_the_back_button_restores_the_results(
    page: Page, flow: ContractFlow
) -> None:
    published(flow, "Field kitchens")
    page.goto("/tenders")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)

    page.get_by_label("Текст у назві або описі").fill("submarine")

    expect(rows).to_have_count(0)
    expect(page.locator("#results")).to_contain_text("Жодна публічна закупівля не відповідає цим фільтрам")
    page.go_back()
    expect(rows).to_have_count(1)


@pytest.mark.parametrize(
    ("locale", "supplier", "amount"),
    [("uk-UA", "Supplier 1", "100 000,00"), ("en-GB", "Supplier 1", "100,000.00")],
    ids=["ukrainian", "english"],
)
def test_the_public_sees_who_won_and_for_how_much_once_the_contract_is_signed(
    new_context: Callable[..., BrowserContext],
    flow: ContractFlow,
    audit: Callable[[Page], list[str]],
    locale: str,
    supplier: str,
    amount: str,
) -> None:
    contract = flow.signed()  # the buyer publishes, two suppliers bid, the buyer awards, both sides sign
    page = new_context(locale=locale).new_page()

    page.goto(f"/tenders/{contract['tender_id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ration packs")
    expect(page.locator("main")).to_contain_text(supplier)
    assert audit(page) == []
    page.goto(f"/contracts/{contract['id']}")

    main = page.locator("main")
    expect(main).to_contain_text(supplier)
    assert amount in main.inner_text().replace("\u00a0", " ").replace("\u202f", " ")
    assert audit(page) == []


def test_a_draft_tender_is_not_shown_to_the_public(page: Page, flow: ContractFlow, watch: Watch) -> None:
    watch.allow_http_errors()
    draft = flow.create(title="Not yet announced")

    response = page.goto(f"/tenders/{draft['id']}")

    assert response is not None
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text("Not yet announced")


PAGES = ["/tenders", "/tenders/{tender_id}", "/contracts/{id}", "/open-data"]


@pytest.mark.parametrize("path", PAGES, ids=["search", "tender", "contract", "open-data"])
def test_every_public_page_is_accessible_in_both_languages_and_fits_a_phone(
    new_context: Callable[..., BrowserContext],
    flow: ContractFlow,
    audit: Callable[[Page], list[str]],
    watch: Watch,
    path: str,
) -> None:
    url = path.format(**flow.signed())
    for locale, lang in (("uk-UA", "uk"), ("en-GB", "en")):
        desktop = new_context(locale=locale).new_page()
        phone = new_context(
            locale=locale, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2
        ).new_page()
        for page in (desktop, phone):
            response = page.goto(url)
            assert response is not None
            assert response.status == 200
            expect(page.locator("html")).to_have_attribute("lang", lang)
            assert audit(page) == [], (locale, page.viewport_size)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, locale
    assert watch.console_errors == []

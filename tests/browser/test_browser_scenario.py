"""Whole processes in a real browser, through the web pages only: a tender from its draft to a signed contract.

Each person has a browser of their own (their own cookies, their language); time is moved by the test's clock and the
scheduler between the steps, as it would pass on a live server. Every main page is checked for accessibility, and no
page may load anything from another site or log a script error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from browsing import Watch
from playwright.sync_api import BrowserContext, Page, expect
from scenario_steps import Language, heading, log_in, money, move_to, text_of, visit
from sqlalchemy import select

from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from quartermaster.web.queries import label
from support.web import give_passwords
from support.world import World

PEOPLE = ("buyer", "approver", "approver2", "evaluator", "supplier0", "supplier1", "supplier2")
TITLE = "5.56 mm ammunition for the winter"
LOT = "Cartridges, ball"
QUANTITY = "40000"
LOT_VALUE = "1500000.50"
LOSING = "1350000.00"  # supplier0
WINNING = "1200000.00"  # supplier1: the best price
UNIT_PRICE = "30"  # 40 000 × 30 = 1 200 000
AT_TENDER = re.compile(r"/buyer/tenders/([0-9a-zA-Z_-]+)$")
Audit = Callable[[Page], list[str]]
LANGUAGES = [Language("uk-UA"), Language("en-GB")]


@pytest.fixture
def guard(new_context: Callable[..., BrowserContext], watch: Watch) -> Iterator[Watch]:
    """Fails the test at its end if any of its pages went off-site or logged a script or console error."""
    yield watch
    assert watch.unexpected() == []


@pytest.fixture
def people(database: Database, clock: FixedClock, world: World) -> World:
    """The world, with a password for everyone who uses the pages."""
    give_passwords(database, clock, PEOPLE)
    return world


@dataclass(frozen=True)
class Stored:
    """What the database holds of a tender after a step."""

    status: str
    value_amount: Decimal
    items: list[tuple[str, Decimal]]
    enquiry_end: datetime | None
    tender_end: datetime | None


def _tender(database: Database, tender_id: str) -> Stored:
    with database.unit_of_work(write=False) as session:
        tender = session.get(Tender, tender_id)
        assert tender is not None
        items = [(i.cpv, i.quantity) for lot in tender.lots for i in lot.items]
        return Stored(tender.status, tender.value_amount, items, tender.enquiry_end, tender.tender_end)


def _contract_of(database: Database, tender_id: str) -> Contract:
    with database.unit_of_work(write=False) as session:
        found = session.scalars(select(Contract).where(Contract.tender_id == tender_id)).all()
        assert len(found) == 1
        session.expunge(found[0])
        return found[0]


def _fill_wizard(page: Page, lang: Language, *, title: str, value: str, quantity: str | None = None) -> None:
    """The tender's fields and its one lot with one item, typed as a person of this locale types them."""
    _ = lang._
    page.get_by_label(_("Title"), exact=True).fill(title)
    page.get_by_label(_("Description"), exact=True).fill("Belted and boxed, delivered to the depot in Kyiv.")
    page.get_by_label(_("Lot title"), exact=True).fill(LOT)
    page.get_by_label(f"{_('Expected value')} (UAH)", exact=True).fill(lang.number(value))
    page.get_by_label(_("Item description"), exact=True).fill("5.56×45 mm cartridge, ball")
    page.get_by_label(_("CPV code"), exact=True).fill("35330000-6")
    # With its decimals: "40,000" alone is read as forty in English (see the test of that below).
    page.get_by_label(_("Quantity"), exact=True).fill(quantity or lang.number(f"{QUANTITY}.00"))


def _prepare_draft(page: Page, lang: Language, audit: Audit, *, title: str = TITLE, value: str = LOT_VALUE) -> str:
    """The buyer prepares a draft with the wizard from the workspace; its id."""
    _ = lang._
    page.goto("/buyer")
    expect(heading(page)).to_have_text(_("Buyer's workspace"))
    assert audit(page) == []
    page.get_by_role("link", name=_("Prepare a new tender")).click()
    expect(heading(page)).to_have_text(_("Prepare a new tender"))
    assert audit(page) == []
    _fill_wizard(page, lang, title=title, value=value)
    page.get_by_role("button", name=_("Save the draft")).click()
    expect(page).to_have_url(AT_TENDER)
    match = AT_TENDER.search(page.url)
    assert match is not None
    expect(heading(page)).to_have_text(title)
    return match[1]


def _sign_as_supplier(
    page: Page, lang: Language, audit: Audit, contract: Contract, unit_price: str, signer: str
) -> None:
    """The supplier finds the contract in the workspace, prices its line if asked, and signs."""
    _ = lang._
    visit(page, lang, signer.lower(), "/supplier")
    expect(heading(page)).to_have_text(_("My workspace"))
    assert audit(page) == []
    page.locator("#contracts ~ *").get_by_role("link", name=contract.title).first.click()
    expect(heading(page)).to_have_text(contract.title)
    assert audit(page) == []
    # The line's price is allocated from the awarded value; the supplier confirms it, typed in the locale's notation.
    expect(page.get_by_role("heading", name=_("Set the unit prices"))).to_be_visible()
    page.locator("input[name^='unit-']").fill(lang.number(unit_price))
    page.get_by_role("button", name=_("Save the unit prices")).click()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert money(unit_price, lang) in text_of(page.locator("#lines + .scroll"))
    page.get_by_role("button", name=_("Sign the contract")).click()
    expect(page.get_by_role("button", name=_("Sign the contract"))).to_have_count(0)
    own = page.locator("#signatures + ul > li").first
    expect(own).to_contain_text(signer)
    expect(own).not_to_contain_text(_("not signed yet"))


def _sign_as_buyer(page: Page, lang: Language, audit: Audit, contract_id: str) -> None:
    """The approver opens the contract and signs; the contract becomes active."""
    _ = lang._
    visit(page, lang, "approver", f"/buyer/contracts/{contract_id}")
    page.get_by_role("button", name=_("Sign the contract")).click()
    expect(page.get_by_role("button", name=_("Sign the contract"))).to_have_count(0)
    main = page.get_by_role("main")
    expect(main.locator("dl.facts")).to_contain_text(_(label("active")))
    assert audit(page) == []


def _public_pages(
    new_context: Callable[..., BrowserContext],
    lang: Language,
    audit: Audit,
    title: str,
    tender_id: str,
    contract_id: str,
    supplier: str,
    amount: str,
) -> None:
    """An anonymous visitor sees who won and for how much, on the tender and on its contract."""
    _ = lang._
    visitor = new_context(locale=lang.locale).new_page()
    visitor.goto(f"/tenders/{tender_id}")
    expect(heading(visitor)).to_contain_text(title)
    main = visitor.get_by_role("main")
    expect(main.get_by_role("heading", name=_("Awards"), exact=True)).to_be_visible()
    assert supplier in text_of(main)
    assert money(amount, lang) in text_of(main)
    assert audit(visitor) == []
    visitor.goto(f"/contracts/{contract_id}")
    main = visitor.get_by_role("main")
    facts = main.locator("dl").first
    assert supplier in text_of(facts)
    assert money(amount, lang) in text_of(facts)
    expect(facts).to_contain_text(_(label("active")))
    assert audit(visitor) == []


def audit_opened(page: Page, audit: Audit) -> list[str]:
    """The audit with every <details> of the page opened, as a person reading all of it would see it: the contrast
    check skips what is hidden, so the evaluation page's folded decision forms are only checked once opened."""
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    return audit(page)


@pytest.mark.parametrize("lang", LANGUAGES, ids=["ukrainian", "english"])
def test_an_open_tender_goes_from_draft_to_a_signed_contract_through_the_pages(
    new_context: Callable[..., BrowserContext],
    guard: Watch,
    audit: Audit,
    database: Database,
    clock: FixedClock,
    people: World,
    lang: Language,
) -> None:
    _ = lang._

    # The buyer prepares the draft; numbers are typed in the locale's notation.
    buyer = log_in(new_context, lang, "buyer")
    tender_id = _prepare_draft(buyer, lang, audit)
    facts = buyer.locator("dl.facts")
    expect(facts).to_contain_text(_("Draft"))
    assert money(LOT_VALUE, lang) in text_of(facts)
    expect(buyer.get_by_role("main")).to_contain_text(
        _("An approver of your organization who did not prepare this tender publishes it.")
    )
    assert audit(buyer) == []
    draft = _tender(database, tender_id)
    assert draft.status == "draft"
    assert draft.value_amount == Decimal(LOT_VALUE)
    assert draft.items == [("35330000-6", Decimal(QUANTITY))]

    # An approver who did not prepare it publishes it with the prefilled periods.
    approver = log_in(new_context, lang, "approver")
    approver.goto("/buyer")
    row = approver.get_by_role("row", name=re.compile(re.escape(TITLE)))
    expect(row).to_contain_text(_("Review and publish"))
    row.get_by_role("link", name=TITLE).click()
    expect(heading(approver)).to_have_text(TITLE)
    expect(approver.get_by_role("heading", name=_("Publishing"))).to_be_visible()
    assert audit(approver) == []
    approver.get_by_role("button", name=_("Publish"), exact=True).click()
    expect(approver.locator("dl.facts")).to_contain_text(_(label("active.enquiries")))
    expect(approver.get_by_role("button", name=_("Publish"), exact=True)).to_have_count(0)
    published = _tender(database, tender_id)
    assert published.status == "active.enquiries"
    assert published.enquiry_end is not None
    assert published.tender_end is not None

    # The questions period ends; two suppliers bid through the bid form and keep their receipts.
    move_to(database, clock, published.enquiry_end)
    suppliers: dict[str, Page] = {}
    for username, name, amount in (("supplier0", "Supplier 0", LOSING), ("supplier1", "Supplier 1", WINNING)):
        supplier = suppliers[username] = log_in(new_context, lang, username)
        supplier.goto(f"/tenders/{tender_id}")
        expect(heading(supplier)).to_contain_text(TITLE)
        supplier.get_by_role("link", name=_("Submit a bid")).click()
        expect(heading(supplier)).to_have_text(f"{_('Bid')}: {TITLE}")
        assert audit(supplier) == []
        supplier.get_by_label(LOT, exact=True).fill(lang.number(amount))
        supplier.get_by_role("button", name=_("Submit the bid")).click()
        expect(heading(supplier)).to_have_text(_("Bid receipt"))
        expect(supplier.locator(".receipt")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        assert money(amount, lang) in text_of(supplier.get_by_role("main")), name
        assert audit(supplier) == []

    # The bid deadline passes; the evaluator opens the bids and finds both compliant.
    move_to(database, clock, published.tender_end)
    evaluator = log_in(new_context, lang, "evaluator")
    evaluator.goto("/evaluator")
    expect(heading(evaluator)).to_have_text(_("Evaluator's workspace"))
    assert audit(evaluator) == []
    evaluator.get_by_role("link", name=TITLE).click()
    expect(heading(evaluator)).to_have_text(f"{_('Evaluation')}: {TITLE}")
    expect(evaluator.get_by_role("main")).to_contain_text(
        _("The bids are sealed until they are opened: no price is shown before then.")
    )
    assert money(WINNING, lang) not in text_of(evaluator.get_by_role("main"))
    assert audit(evaluator) == []
    evaluator.get_by_role("button", name=_("Open all bids")).click()
    for name in ("Supplier 0", "Supplier 1"):
        summary = _("Record your verdict on %(supplier)s", supplier=name)
        decision = evaluator.locator("details.decision").filter(has=evaluator.get_by_text(summary, exact=True))
        decision.get_by_text(summary, exact=True).click()
        decision.get_by_label(_("Compliant"), exact=True).check()
        decision.get_by_role("button", name=_("Record the verdict")).click()
        expect(evaluator.get_by_text(_("Change your verdict on %(supplier)s", supplier=name))).to_be_visible()
    expect(evaluator.get_by_text(_("No verdict yet"))).to_have_count(0)
    assert money(WINNING, lang) in text_of(evaluator.get_by_role("main"))
    assert audit_opened(evaluator, audit) == []

    # The approver awards the best bid (preselected), from the tender's page.
    visit(approver, lang, "approver", f"/buyer/tenders/{tender_id}")
    approver.get_by_role("link", name=_("Evaluation and award")).click()
    expect(heading(approver)).to_have_text(f"{_('Evaluation')}: {TITLE}")
    best = approver.get_by_role("radio", name=re.compile("Supplier 1"))
    expect(best).to_be_checked()
    assert audit_opened(approver, audit) == []
    approver.get_by_role("button", name=_("Award the lot")).click()
    awards = approver.get_by_role("heading", name=_("Awards"), exact=True)
    expect(awards).to_be_visible()
    expect(approver.get_by_role("row", name=re.compile("Supplier 1"))).not_to_have_count(0)
    assert audit_opened(approver, audit) == []

    # The standstill runs: the contract waits; once it is over the supplier prices the line and signs, then the buyer.
    contract = _contract_of(database, tender_id)
    assert contract.not_before is not None
    visit(approver, lang, "approver", f"/buyer/tenders/{tender_id}")
    approver.get_by_role("link", name=contract.title).click()
    expect(heading(approver)).to_have_text(contract.title)
    expect(approver.get_by_role("button", name=_("Sign the contract"))).to_have_count(0)
    assert audit(approver) == []
    move_to(database, clock, contract.not_before)
    _sign_as_supplier(suppliers["supplier1"], lang, audit, contract, UNIT_PRICE, "Supplier1")
    _sign_as_buyer(approver, lang, audit, contract.id)
    signed = _contract_of(database, tender_id)
    assert signed.status == "active"
    assert signed.value_amount == Decimal(WINNING)
    assert signed.supplier_signed_at is not None
    assert signed.buyer_signed_at is not None

    # Anyone sees the result.
    _public_pages(new_context, lang, audit, TITLE, tender_id, contract.id, "Supplier 1", WINNING)


def test_the_preparer_cannot_publish_and_a_supplier_is_refused_the_evaluation(
    new_context: Callable[..., BrowserContext],
    guard: Watch,
    audit: Audit,
    database: Database,
    people: World,
) -> None:
    guard.allow_http_errors()  # the supplier's refusal is a 403
    lang = LANGUAGES[0]
    _ = lang._
    buyer = log_in(new_context, lang, "buyer")
    tender_id = _prepare_draft(buyer, lang, audit)

    # The approver changes the draft, and so becomes one of its preparers: the page says another approver publishes.
    approver = log_in(new_context, lang, "approver")
    approver.goto(f"/buyer/tenders/{tender_id}")
    expect(approver.get_by_role("button", name=_("Publish"), exact=True)).to_be_visible()
    approver.get_by_role("link", name=_("Change the draft")).click()
    expect(heading(approver)).to_have_text(_("Change the draft"))
    assert audit(approver) == []
    approver.get_by_label(_("Lot title"), exact=True).fill("Cartridges, ball, in boxes")
    approver.get_by_role("button", name=_("Save the draft")).click()
    expect(heading(approver)).to_have_text(TITLE)
    main = approver.get_by_role("main")
    expect(main).to_contain_text(
        _("You prepared this tender, so another approver of your organization must publish it.")
    )
    expect(main.get_by_role("button", name=_("Publish"), exact=True)).to_have_count(0)
    assert audit(approver) == []
    approver.goto("/buyer")
    row = approver.get_by_role("row", name=re.compile(re.escape(TITLE)))
    expect(row).to_contain_text(_("Waiting for an approver who did not prepare it to publish"))
    assert _tender(database, tender_id).status == "draft"

    # The second approver may publish it.
    approver2 = log_in(new_context, lang, "approver2")
    approver2.goto(f"/buyer/tenders/{tender_id}")
    approver2.get_by_role("button", name=_("Publish"), exact=True).click()
    expect(approver2.locator("dl.facts")).to_contain_text(_(label("active.enquiries")))
    assert _tender(database, tender_id).status == "active.enquiries"

    # A supplier who opens the buyer's evaluation page is refused, in their language, and sees no bid.
    supplier = log_in(new_context, lang, "supplier2")
    response = supplier.goto(f"/buyer/tenders/{tender_id}/evaluation")
    assert response is not None
    assert response.status == 403
    expect(heading(supplier)).to_have_text(_("Evaluation"))
    expect(supplier.get_by_role("button", name=_("Open all bids"))).to_have_count(0)
    expect(supplier.get_by_role("main")).not_to_contain_text(TITLE)
    assert audit(supplier) == []


def test_a_direct_award_goes_from_draft_to_a_signed_contract_without_waiting_for_periods(
    new_context: Callable[..., BrowserContext],
    guard: Watch,
    audit: Audit,
    database: Database,
    clock: FixedClock,
    people: World,
) -> None:
    lang = LANGUAGES[0]
    _ = lang._
    title = "Spare barrels for the rifles in service"
    value = "480000.00"

    # The buyer prepares a limited procedure with its justification (the form shows the justification on change).
    buyer = log_in(new_context, lang, "buyer")
    buyer.goto("/buyer/tenders/new")
    buyer.get_by_label(_("Procedure"), exact=True).select_option("limited")
    justification = buyer.get_by_label(_("Justification"), exact=True)
    expect(justification).to_be_visible()
    expect(buyer.locator("#rules")).to_contain_text(_("This procedure requires a justification."))
    justification.select_option("exclusive_rights_or_technical_reasons")
    buyer.get_by_label(_("Justification details"), exact=True).fill("Only the manufacturer makes these barrels.")
    _fill_wizard(buyer, lang, title=title, value=value)
    assert audit(buyer) == []
    buyer.get_by_role("button", name=_("Save the draft")).click()
    expect(buyer).to_have_url(AT_TENDER)
    match = AT_TENDER.search(buyer.url)
    assert match is not None
    tender_id = match[1]
    expect(buyer.locator("dl.facts")).to_contain_text(_("Exclusive rights or technical reasons"))

    # The approver publishes it: no periods to choose; the tender goes straight to the award.
    approver = log_in(new_context, lang, "approver")
    approver.goto(f"/buyer/tenders/{tender_id}")
    expect(approver.get_by_role("main")).to_contain_text(_("This procedure has no public periods."))
    assert audit(approver) == []
    approver.get_by_role("button", name=_("Publish"), exact=True).click()
    expect(approver.get_by_role("button", name=_("Publish"), exact=True)).to_have_count(0)
    approver.get_by_role("link", name=_("Evaluation and award")).click()
    expect(heading(approver)).to_have_text(f"{_('Evaluation')}: {title}")
    expect(approver.get_by_role("main")).to_contain_text(
        _("A limited procedure awards the justified supplier directly, at the agreed value.")
    )
    assert audit_opened(approver, audit) == []
    approver.get_by_label(_("Supplier"), exact=True).select_option(label="Supplier 2")
    approver.get_by_label(f"{_('Value')} (UAH)", exact=True).fill(lang.number(value))
    approver.get_by_role("button", name=_("Award the lot")).click()
    expect(approver.get_by_role("heading", name=_("Awards"), exact=True)).to_be_visible()
    assert money(value, lang) in text_of(approver.get_by_role("main"))
    assert audit_opened(approver, audit) == []

    # Both sides sign (after the standstill, if the procedure has one).
    contract = _contract_of(database, tender_id)
    if contract.not_before is not None and contract.not_before.replace(tzinfo=None) > clock.now().replace(tzinfo=None):
        move_to(database, clock, contract.not_before)
    supplier = log_in(new_context, lang, "supplier2")
    unit = Decimal(value) / Decimal(QUANTITY)
    _sign_as_supplier(supplier, lang, audit, contract, f"{unit:.2f}", "Supplier2")
    _sign_as_buyer(approver, lang, audit, contract.id)
    assert _contract_of(database, tender_id).status == "active"
    _public_pages(new_context, lang, audit, title, tender_id, contract.id, "Supplier 2", value)


def test_a_quantity_typed_with_an_english_thousands_separator_is_read_as_thousands(
    new_context: Callable[..., BrowserContext], guard: Watch, audit: Audit, database: Database, people: World
) -> None:
    lang = LANGUAGES[1]
    buyer = log_in(new_context, lang, "buyer")
    buyer.goto("/buyer/tenders/new")
    _fill_wizard(buyer, lang, title=TITLE, value=LOT_VALUE, quantity="40,000")
    buyer.get_by_role("button", name=lang._("Save the draft")).click()
    expect(buyer).to_have_url(AT_TENDER)
    match = AT_TENDER.search(buyer.url)
    assert match is not None
    assert _tender(database, match[1]).items == [("35330000-6", Decimal(QUANTITY))]

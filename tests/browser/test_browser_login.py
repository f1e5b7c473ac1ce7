"""Logging in and out in a real browser: wrong then right password, CSRF refusals, pages that need a login."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from browsing import Watch
from playwright.sync_api import BrowserContext, Page, expect

from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from quartermaster.types import FixedClock
from support.world import World

PASSWORD = "correct horse battery staple"
AT_LOGIN = re.compile(r"^http://127\.0\.0\.1:\d+/login\?next=/account$")
AT_ACCOUNT = re.compile(r"^http://127\.0\.0\.1:\d+/account$")
AT_FRONT = re.compile(r"^http://127\.0\.0\.1:\d+/$")


@pytest.fixture
def english(new_context: Callable[..., BrowserContext], watch: Watch) -> Page:
    """A page in an English-speaking browser; these tests expect refusals (401, 403), which Chromium logs."""
    watch.allow_http_errors()
    return new_context(locale="en-GB").new_page()


@pytest.fixture
def buyer_password(database: Database, clock: FixedClock, world: World) -> str:
    """The buyer's password (set by the administrator through the services)."""
    with database.unit_of_work() as session:
        user = identity.find_user(session, "buyer")
        identity.set_password(session, actor=world["admin"].actor, user=user, password=PASSWORD, now=clock.now())
    return PASSWORD


def log_in(page: Page, username: str, password: str) -> None:
    """Fill in the login form and send it with the keyboard."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")


def test_a_wrong_password_keeps_the_username_and_the_right_one_opens_the_page_that_was_asked_for(
    english: Page, buyer_password: str, audit: Callable[[Page], list[str]]
) -> None:
    english.goto("/account")
    expect(english).to_have_url(AT_LOGIN)  # not logged in: sent to the login page first
    assert audit(english) == []

    with english.expect_response("**/login") as refused:
        log_in(english, "buyer", "not the password")

    assert refused.value.status == 401
    expect(english.get_by_role("alert")).to_contain_text("Wrong username or password")
    expect(english.get_by_label("Username")).to_have_value("buyer")
    expect(english.get_by_label("Password")).to_have_value("")
    expect(english.get_by_label("Password")).to_be_focused()  # the person types the password again, nothing else
    expect(english.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert audit(english) == []
    english.keyboard.type(buyer_password)
    english.keyboard.press("Enter")

    expect(english).to_have_url(AT_ACCOUNT)
    expect(english.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(english.get_by_role("row", name="Username")).to_contain_text("buyer")
    expect(english.get_by_role("row", name="Role")).to_contain_text("Buyer")


def test_logging_out_ends_the_session(english: Page, buyer_password: str) -> None:
    english.goto("/login")
    log_in(english, "buyer", buyer_password)
    expect(english).to_have_url(AT_ACCOUNT)
    english.goto("/tenders")

    english.get_by_role("navigation").get_by_role("button", name="Log out").click()  # from any page

    expect(english).to_have_url(AT_FRONT)
    expect(english.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    english.goto("/account")
    expect(english).to_have_url(AT_LOGIN)


def test_a_form_sent_without_its_csrf_token_is_refused_and_changes_nothing(english: Page, buyer_password: str) -> None:
    english.goto("/login")
    log_in(english, "buyer", buyer_password)
    expect(english).to_have_url(AT_ACCOUNT)
    account_page = english.get_by_role("main")
    account_page.locator("input[name=csrf]").evaluate("input => input.remove()")

    with english.expect_response("**/logout") as refused:
        account_page.get_by_role("button", name="Log out").click()

    assert refused.value.status == 403
    expect(english.get_by_role("heading", level=1)).to_have_text("Request refused")
    english.goto("/account")
    expect(english).to_have_url(AT_ACCOUNT)  # still logged in: the refused logout did nothing


def test_a_login_form_without_its_csrf_token_is_refused(english: Page, buyer_password: str) -> None:
    english.goto("/login")
    english.locator("form[action='/login'] input[name=csrf]").evaluate("input => input.remove()")

    with english.expect_response("**/login") as refused:
        log_in(english, "buyer", buyer_password)

    assert refused.value.status == 403
    expect(english.get_by_role("heading", level=1)).to_have_text("Request refused")
    english.goto("/account")
    expect(english).to_have_url(AT_LOGIN)


def test_the_login_page_speaks_ukrainian_and_passes_the_accessibility_checks(
    page: Page, audit: Callable[[Page], list[str]]
) -> None:
    page.goto("/login")

    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Увійти")
    assert audit(page) == []

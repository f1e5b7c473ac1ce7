"""Steps of the browser scenarios: people logged in to their own browser, speaking one language, and the clock.

Every step goes through the web pages as a person would (labels and button names in the person's language, taken
from the interface's own catalogue); only time is moved from outside, as the scheduler would see it move.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from playwright.sync_api import BrowserContext, Locator, Page, expect

from quartermaster.db.tx import Database
from quartermaster.scheduler import run_due
from quartermaster.types import FixedClock, utc
from quartermaster.web.i18n import translations
from support.web import PASSWORD

SPACES = re.compile(r"[\u00a0\u202f ]+")


@dataclass(frozen=True)
class Language:
    """A browser locale and what the interface says in it."""

    locale: str

    @property
    def lang(self) -> str:
        """The interface's language code (``uk`` or ``en``)."""
        return self.locale.split("-")[0]

    def _(self, text: str, **values: object) -> str:
        """``text`` as the pages show it in this language (the catalogue's translation, placeholders filled)."""
        translated = translations(self.lang).gettext(text)
        if self.lang == "uk":
            assert translated != text, f"no Ukrainian translation for {text!r}"
        return translated % values if values else translated

    def number(self, plain: str) -> str:
        """A plain decimal (``1500000.50``) typed the way people of this locale type it."""
        whole, _, cents = plain.partition(".")
        group = " " if self.lang == "uk" else ","
        grouped = f"{int(whole):,}".replace(",", group)
        if not cents:
            return grouped
        return grouped + ("," if self.lang == "uk" else ".") + cents


def text_of(locator: Locator) -> str:
    """The visible text with every kind of space (no-break, narrow no-break) made a plain one."""
    return SPACES.sub(" ", locator.inner_text())


def log_in(new_context: Callable[..., BrowserContext], language: Language, username: str) -> Page:
    """A browser of its own for ``username`` (who has ``PASSWORD``), logged in through the login form."""
    page = new_context(locale=language.locale).new_page()
    page.goto("/login")
    _fill_login(page, language, username)
    return page


def visit(page: Page, language: Language, username: str, path: str) -> None:
    """Open ``path`` as ``username``; when time has passed and the session ended, log in again on the way."""
    page.goto(path)
    if re.search(r"/login(\?|$)", page.url):
        _fill_login(page, language, username)
        expect(page).to_have_url(re.compile(re.escape(path.split("#")[0]) + "$"))


def _fill_login(page: Page, language: Language, username: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language.lang)
    page.get_by_label(language._("Username"), exact=True).fill(username)
    page.get_by_label(language._("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(language._("Password"), exact=True).press("Enter")
    expect(page).not_to_have_url(re.compile(r"/login"))


def heading(page: Page) -> Locator:
    """The page's one level-1 heading."""
    return page.get_by_role("heading", level=1)


def move_to(database: Database, clock: FixedClock, when: datetime, extra: timedelta = timedelta(seconds=1)) -> None:
    """Time passes to just after ``when``; the scheduler applies what became due (period ends)."""
    clock.set(utc(when) + extra)
    run_due(database, clock)


def money(amount: str, language: Language) -> str:
    """How the pages write an amount of hryvnias in this language (digits only: the symbol's place varies)."""
    value = Decimal(amount)
    return language.number(f"{value:.2f}")

"""Ukrainian and English: gettext catalogues (``locales/<lang>/LC_MESSAGES/messages.po``), read with Babel.

The catalogues are plain ``.po`` files compiled in memory at start-up (no binary ``.mo`` in the repository). The
language of a request is the ``lang`` cookie if set (the language switch sets it), else the best match of the
browser's ``Accept-Language``, else Ukrainian. Dates, numbers and money are formatted in that locale.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("uk", "en")
DEFAULT = "uk"
NAMES = {"uk": "Українська", "en": "English"}


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of a language: every ``.po`` file of ``locales/<lang>/LC_MESSAGES`` merged (one per
    part of the interface); English is the source language, so an empty catalogue is fine."""
    sources = sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"))
    if not sources:
        return NullTranslations()
    merged: Translations | None = None
    for path in sources:
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(fp=buffer)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    assert merged is not None
    return merged


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the cookie's, else the browser's preference, else Ukrainian."""
    if cookie in LANGUAGES:
        return cookie
    for tag in _preferences(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def _preferences(header: str) -> list[str]:
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")
_ENGLISH_GROUPS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def parse_decimal(raw: str, lang: str) -> Decimal | None:
    """A number as a person writes it in ``lang``; None when it is not one (the page then names the field).

    Spaces (also no-break and thin ones) group digits in both languages. Ukrainian writes the decimal separator as a
    comma (``1 500 000,50``), and a full stop is read as one too (``1500.50``: keyboards and copied figures). English
    writes ``1,500,000.50``: there a comma only groups digits in threes, so ``40,000`` is forty thousand — never
    forty, as a language-blind reading of the lone comma would make it — and ``40,5`` is refused rather than guessed.
    """
    text = _SPACES.sub("", raw)
    if "," in text:
        if lang == "en":
            if not _ENGLISH_GROUPS.fullmatch(text):
                return None
            text = text.replace(",", "")
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        else:
            return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def decimal_or_text(raw: str, lang: str) -> Decimal | str:
    """The number ``raw`` writes in ``lang``, or ``raw`` itself when it is not one: a form's schema then refuses it
    and names the field, with what was typed kept."""
    value = parse_decimal(raw, lang)
    return raw if value is None else value


_CODE_BEFORE_DIGIT = re.compile(r"^(-?[A-Za-z]{2,})(?=\d)")


class Formats:
    """Locale-aware formatting for one language (bound into every template as ``fmt``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)

    def money(self, amount: Decimal | str | None, currency: str) -> str:
        """E.g. ``1 500 000,50 ₴`` (uk) or ``UAH 1,500,000.50`` (en).

        Babel does not apply CLDR's currency spacing, so English would print ``UAH1,500,000.50``: a no-break space
        goes between a currency code written in letters and the digits, as CLDR's ``insertBetween`` says.
        """
        if amount is None:
            return ""
        text = str(format_currency(Decimal(amount), currency, locale=self.locale))
        return _CODE_BEFORE_DIGIT.sub("\\1\u00a0", text)

    def number(self, value: Decimal | int | float | str | None) -> str:
        """A number with the locale's grouping and decimal separators."""
        return "" if value is None else str(format_decimal(Decimal(str(value)), locale=self.locale))

    def percent(self, share: Decimal | int | float | str | None, decimals: int = 1) -> str:
        """A share (0..1) as a percentage with ``decimals`` decimal places in the locale's notation: ``0.25`` is
        ``25.0%`` (en) or ``25,0%`` (uk); empty for None."""
        if share is None:
            return ""
        if not 0 <= decimals <= 6:
            raise ValueError("decimals must be between 0 and 6")
        pattern = "#,##0." + "0" * decimals + "%" if decimals else "#,##0%"
        return str(format_percent(Decimal(str(share)), pattern, locale=self.locale))

    def date(self, value: date | datetime | None) -> str:
        """A date in the locale's medium format."""
        if value is None:
            return ""
        day = value.date() if isinstance(value, datetime) else value
        return str(format_date(day, "medium", locale=self.locale))

    def datetime(self, value: datetime | None) -> str:
        """A moment in the locale's medium format (UTC)."""
        return "" if value is None else str(format_datetime(value, "medium", tzinfo=None, locale=self.locale))

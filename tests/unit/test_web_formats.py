"""Numbers both ways in each language's notation: ``Formats`` (percentages, money) and ``parse_decimal``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.web.i18n import Formats, decimal_or_text, parse_decimal


@pytest.mark.parametrize(
    ("lang", "share", "decimals", "shown"),
    [
        ("en", Decimal("0.25"), 1, "25.0%"),
        ("uk", Decimal("0.25"), 1, "25,0%"),
        ("en", Decimal("0.1234"), 1, "12.3%"),
        ("uk", Decimal("0.1235"), 2, "12,35%"),
        ("en", Decimal("0.125"), 0, "12%"),  # half to even, as babel rounds
        ("en", Decimal("1"), 1, "100.0%"),
        ("en", Decimal("0"), 1, "0.0%"),
        ("en", Decimal("-0.05"), 1, "-5.0%"),
        ("en", Decimal("12.5"), 1, "1,250.0%"),
        ("uk", Decimal("12.5"), 1, "1\u00a0250,0%"),
        ("en", 0.5, 1, "50.0%"),
        ("en", 1, 0, "100%"),
        ("uk", "0.075", 1, "7,5%"),
    ],
)
def test_percent_follows_the_locale(lang: str, share: Decimal | float | int | str, decimals: int, shown: str) -> None:
    assert Formats(lang).percent(share, decimals) == shown


def test_percent_of_nothing_is_empty() -> None:
    assert Formats("en").percent(None) == ""
    assert Formats("uk").percent(None) == ""


def test_the_default_is_one_decimal_place() -> None:
    assert Formats("en").percent(Decimal("0.3333")) == "33.3%"
    assert Formats("uk").percent(Decimal("0.3333")) == "33,3%"


@pytest.mark.parametrize("decimals", [-1, 7])
def test_unreasonable_precision_is_refused(decimals: int) -> None:
    with pytest.raises(ValueError, match="decimals"):
        Formats("en").percent(Decimal("0.5"), decimals)


@pytest.mark.parametrize(
    ("lang", "typed", "read"),
    [
        ("en", "40,000", Decimal("40000")),  # thousands, never forty
        ("uk", "40 000", Decimal("40000")),
        ("uk", "40,000", Decimal("40.000")),  # a Ukrainian decimal comma
        ("en", "1,500,000.50", Decimal("1500000.50")),
        ("uk", "1 500 000,50", Decimal("1500000.50")),
        ("uk", "1\u00a0500\u00a0000,50", Decimal("1500000.50")),  # as the page itself formats it
        ("uk", "1\u202f500,5", Decimal("1500.5")),
        ("en", "1 500 000.50", Decimal("1500000.50")),
        ("uk", "1500.50", Decimal("1500.50")),  # a full stop is read as the decimal separator too
        ("en", "  12 ", Decimal("12")),
        ("en", "-1,234.5", Decimal("-1234.5")),
        ("en", "1,234.", Decimal("1234")),
    ],
)
def test_numbers_are_read_as_written_in_the_language(lang: str, typed: str, read: Decimal) -> None:
    assert parse_decimal(typed, lang) == read


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("en", "40,5"),  # not thousands: refused rather than guessed
        ("en", "1,50,000"),
        ("en", "1,500.000,5"),
        ("uk", "1,500,000"),
        ("uk", "1.500,50"),
        ("uk", "1.500.000"),
        ("en", ""),
        ("en", "twelve"),
        ("uk", "NaN"),
        ("en", "Infinity"),
        ("uk", "12 kg"),
    ],
)
def test_what_is_not_a_number_in_the_language_is_refused(lang: str, typed: str) -> None:
    assert parse_decimal(typed, lang) is None


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_what_the_page_shows_reads_back_as_the_same_number(value: Decimal) -> None:
    for lang in ("uk", "en"):
        assert parse_decimal(Formats(lang).number(value), lang) == value


def test_unreadable_text_is_kept_for_the_schema_to_name() -> None:
    assert decimal_or_text("40,000", "en") == Decimal("40000")
    assert decimal_or_text("forty", "en") == "forty"


def test_english_money_has_a_space_after_the_currency_code() -> None:
    assert Formats("en").money("1500000.5", "UAH") == "UAH\u00a01,500,000.50"
    assert Formats("en").money("-5", "UAH") == "-UAH\u00a05.00"
    assert Formats("en").money("5", "USD") == "$5.00"
    assert Formats("uk").money("5", "UAH") == "5,00\u00a0₴"

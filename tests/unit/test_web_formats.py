"""``Formats.percent``: shares (0..1) as percentages in each language's notation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quartermaster.web.i18n import Formats


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

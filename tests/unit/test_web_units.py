"""Quantities with their unit, declined in Ukrainian and English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.codelists import load_codelists
from quartermaster.web.units import CLDR_UNITS, COUNTED, format_quantity


@pytest.mark.parametrize(
    ("value", "code", "lang", "shown"),
    [
        ("1", "H87", "uk", "1\u00a0штука"),
        ("3", "H87", "uk", "3\u00a0штуки"),
        ("18", "H87", "uk", "18\u00a0штук"),
        ("21", "H87", "uk", "21\u00a0штука"),
        ("11", "H87", "uk", "11\u00a0штук"),
        ("40000", "H87", "uk", "40\u00a0000\u00a0штук"),
        ("1", "H87", "en", "1\u00a0piece"),
        ("40000", "H87", "en", "40,000\u00a0pieces"),
        ("18", "KMT", "uk", "18 кілометрів"),
        ("1.5", "KMT", "uk", "1,5 кілометра"),
        ("18", "KMT", "en", "18 kilometres"),
        ("3", "E48", "uk", "3\u00a0одиниці послуги"),
        ("2", "PR", "en", "2\u00a0pairs"),
        ("5", "SET", "uk", "5\u00a0комплектів"),
    ],
)
def test_quantities_are_declined(value: str, code: str, lang: str, shown: str) -> None:
    assert format_quantity(Decimal(value), code, lang) == shown


def test_a_unit_only_the_operator_lists_is_written_with_its_name() -> None:
    assert format_quantity(Decimal("7"), "XBX", "uk", "коробка") == "7\u00a0коробка"
    assert format_quantity(Decimal("7"), "XBX", "en") == "7\u00a0XBX"


def test_every_shipped_unit_is_declined_in_both_languages() -> None:
    shipped = set(load_codelists(None).units_by_code)

    assert len(shipped) >= 15
    assert shipped <= set(CLDR_UNITS) | set(COUNTED)


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(sorted(COUNTED)))
def test_every_count_has_a_form(count: int, code: str) -> None:
    for lang in ("uk", "en"):
        shown = format_quantity(count, code, lang)
        assert shown.split("\u00a0")[-1] in COUNTED[code][lang].values()

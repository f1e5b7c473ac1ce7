"""Generalisers: each publishes the coarser truth it promises, and withholds anything not of the expected shape."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.codelists import load_codelists
from quartermaster.disclosure import GeneraliseContext, organization_alias
from quartermaster.disclosure.generalise import (
    address_region,
    alias,
    alias_unless_buyer,
    cpv_division,
    month,
    quantity_range,
)

PLAIN = GeneraliseContext()
WITH_LIST = GeneraliseContext(codelists=load_codelists())
ALIASES = GeneraliseContext(aliases={"UA-EDR-1": "party-1", "UA-EDR-2": "party-2"}, buyer_id="UA-EDR-1")


@pytest.mark.parametrize(
    ("code", "context", "division"),
    [
        ("35330000-6", WITH_LIST, "35000000-4"),  # the check digit comes from the CPV list
        ("35330000-6", PLAIN, "35000000"),  # without the list: the eight digits only
        ("35330000", WITH_LIST, "35000000-4"),
        ("99123000-1", WITH_LIST, "99000000"),  # a division the list lacks
    ],
)
def test_a_cpv_code_becomes_its_division(code: str, context: GeneraliseContext, division: str) -> None:
    assert cpv_division("id", code, context) == {"id": division}


@pytest.mark.parametrize("value", ["3533", "35330000-6x", "NSN 1305", 35330000, None, {"id": "35330000-6"}])
def test_anything_but_a_cpv_code_is_withheld_by_the_division_generaliser(value: Any) -> None:
    assert cpv_division("id", value, WITH_LIST) == {}


@pytest.mark.parametrize(
    ("quantity", "low", "high"),
    [(2.5, 1, 10), (1, 1, 10), (9.99, 1, 10), (10, 10, 100), (100000, 100000, 1000000), (0, 0, 1), (0.5, 0, 1)],
)
def test_a_quantity_becomes_its_order_of_magnitude(quantity: float, low: int, high: int) -> None:
    assert quantity_range("quantity", quantity, PLAIN) == {"quantityRange": {"atLeast": low, "lessThan": high}}


@pytest.mark.parametrize("value", [-1, math.inf, math.nan, True, "100", None, [1]])
def test_anything_but_a_finite_non_negative_number_is_withheld_by_the_range(value: Any) -> None:
    assert quantity_range("quantity", value, PLAIN) == {}


@given(st.one_of(st.integers(min_value=0, max_value=10**15), st.floats(min_value=0, max_value=1e15)))
def test_the_range_always_contains_the_quantity_and_is_ten_times_wide(quantity: float) -> None:
    bounds = quantity_range("quantity", quantity, PLAIN)["quantityRange"]

    assert bounds["atLeast"] <= quantity < bounds["lessThan"]
    assert bounds["lessThan"] == max(1, bounds["atLeast"] * 10)


def test_an_address_keeps_only_its_region_and_country() -> None:
    address = {"streetAddress": "1 Depot Rd", "locality": "Town", "region": "Kyiv", "countryName": "Ukraine", "x": 1}

    assert address_region("address", address, PLAIN) == {"address": {"region": "Kyiv", "countryName": "Ukraine"}}


@pytest.mark.parametrize("value", [{"streetAddress": "1 Depot Rd"}, {"region": {"nested": "x"}}, "Kyiv", None])
def test_an_address_without_a_region_or_country_is_withheld(value: Any) -> None:
    assert address_region("address", value, PLAIN) == {}


@pytest.mark.parametrize(
    ("moment", "first"),
    [
        ("2026-03-04T21:00:00Z", "2026-03-01T00:00:00Z"),
        ("2026-03-31T23:30:00-02:00", "2026-04-01T00:00:00Z"),  # 1 April in UTC
        ("2026-12-01T00:00:00+00:00", "2026-12-01T00:00:00Z"),
    ],
)
def test_a_date_becomes_the_first_instant_of_its_utc_month(moment: str, first: str) -> None:
    assert month("date", moment, PLAIN) == {"date": first}


@pytest.mark.parametrize("value", ["2026-03-04T21:00:00", "March 2026", "", 20260304, None])
def test_anything_but_a_zoned_date_time_is_withheld_by_the_month(value: Any) -> None:
    assert month("date", value, PLAIN) == {}


def test_an_organization_id_becomes_its_alias_and_an_unknown_one_is_withheld() -> None:
    assert alias("id", "UA-EDR-2", ALIASES) == {"id": "party-2"}
    assert alias("id", "UA-EDR-1", ALIASES) == {"id": "party-1"}
    assert alias("id", "UA-EDR-9", ALIASES) == {}
    assert alias("id", 7, ALIASES) == {}


def test_the_buyer_keeps_its_id_where_only_suppliers_are_aliased() -> None:
    assert alias_unless_buyer("id", "UA-EDR-1", ALIASES) == {"id": "UA-EDR-1"}
    assert alias_unless_buyer("id", "UA-EDR-2", ALIASES) == {"id": "party-2"}
    assert alias_unless_buyer("id", "UA-EDR-1", GeneraliseContext(aliases={"UA-EDR-1": "party-1"})) == {"id": "party-1"}


def test_an_alias_is_keyed_stable_and_scoped_to_one_process() -> None:
    one = organization_alias("ocds-x-t1", "UA-EDR-11111111", b"k1")

    assert one == organization_alias("ocds-x-t1", "UA-EDR-11111111", b"k1")
    assert one != organization_alias("ocds-x-t2", "UA-EDR-11111111", b"k1")
    assert one != organization_alias("ocds-x-t1", "UA-EDR-11111111", b"k2")
    assert one.startswith("party-")
    assert len(one) == 22
    assert "11111111" not in one

"""The pure amendment check: the closed list of grounds and the cumulative 10 % market price cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quartermaster.contracts.amendment_rules import (
    GROUNDS,
    MARKET_PRICE_CAP,
    LineChange,
    check_amendment,
    total_of,
    within_cap,
)

DUE = datetime(2026, 6, 1, tzinfo=UTC)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
quantities = st.integers(min_value=1, max_value=100_000).map(Decimal)


def _line(original: str, before: str, after: str, q_before: str = "100", q_after: str | None = None) -> LineChange:
    return LineChange(
        Decimal(original),
        Decimal(before),
        Decimal(after),
        Decimal(q_before),
        Decimal(q_after if q_after is not None else q_before),
    )


def _codes(rationale: str, line: LineChange, due_after: datetime = DUE) -> list[str]:
    return [r.code for r in check_amendment(rationale, lines={"a": line}, due_before=DUE, due_after=due_after)]


def test_the_list_of_grounds_is_closed_and_sourced() -> None:
    assert set(GROUNDS) == {
        "volume_reduction",
        "quality_improvement",
        "term_extension",
        "price_reduction",
        "tax_rate_change",
        "exchange_rate_or_index_change",
        "market_price_change",
    }
    assert all(g.source.startswith("Law 922-VIII art. 41(5)") for g in GROUNDS.values())
    assert _codes("because we want to", _line("100", "100", "120")) == ["amendment.unknown_rationale"]


@pytest.mark.parametrize(
    ("new_price", "new_quantity", "codes"),
    [
        ("109.99", "90", []),  # +9.99 %, total 9899.10 <= 10000
        ("110.00", "90", []),  # exactly the cap
        ("110.01", "90", ["amendment.price_cap_exceeded"]),  # +10.01 %
        ("90.01", "100", []),  # -9.99 %
        ("89.99", "100", ["amendment.price_cap_exceeded"]),  # -10.01 %
        ("105.00", "100", ["amendment.total_increased"]),  # within the cap but the total rises
        ("100.00", "101", ["amendment.quantity_direction", "amendment.total_increased"]),
    ],
)
def test_market_price_change_rules(new_price: str, new_quantity: str, codes: list[str]) -> None:
    assert _codes("market_price_change", _line("100.00", "100.00", new_price, "100", new_quantity)) == codes


def test_market_price_cap_is_measured_from_the_signed_price_not_the_current_one() -> None:
    # The price already moved from 100 to 105; a further +5.7 % to 111 is +11 % from signature: refused.
    assert _codes("market_price_change", _line("100.00", "105.00", "111.00", "100", "90")) == [
        "amendment.price_cap_exceeded"
    ]
    assert _codes("market_price_change", _line("100.00", "105.00", "110.00", "100", "90")) == []


@pytest.mark.parametrize(
    ("rationale", "line", "due_after", "codes"),
    [
        ("volume_reduction", _line("10", "10", "10", "100", "90"), DUE, []),
        ("volume_reduction", _line("10", "10", "9", "100", "90"), DUE, ["amendment.change_not_allowed"]),
        ("price_reduction", _line("10", "10", "9"), DUE, []),
        ("price_reduction", _line("10", "10", "10"), DUE, ["amendment.no_change", "amendment.total_not_reduced"]),
        ("quality_improvement", _line("10", "10", "10"), DUE, []),
        ("quality_improvement", _line("10", "10", "9"), DUE, ["amendment.total_changed"]),
        ("term_extension", _line("10", "10", "10"), DUE + timedelta(days=1), []),
        ("term_extension", _line("10", "10", "10"), DUE - timedelta(days=1), ["amendment.term_not_extended"]),
        ("tax_rate_change", _line("10", "10", "12"), DUE, []),
        ("tax_rate_change", _line("10", "10", "12"), DUE + timedelta(days=1), ["amendment.change_not_allowed"]),
    ],
)
def test_each_ground_changes_only_what_it_names(
    rationale: str, line: LineChange, due_after: datetime, codes: list[str]
) -> None:
    assert _codes(rationale, line, due_after) == codes


@given(original=prices, new=prices, quantity=quantities)
def test_a_single_market_change_is_lawful_exactly_when_within_ten_percent(
    original: Decimal, new: Decimal, quantity: Decimal
) -> None:
    assume(new != original)
    # Keep the total from rising the way buyers do: fewer units at the higher price.
    q_after = quantity if new <= original else (quantity * original / new).to_integral_value(ROUND_FLOOR)
    line = LineChange(original, original, new, quantity, q_after)
    refusals = check_amendment("market_price_change", lines={"a": line}, due_before=DUE, due_after=DUE)
    lawful = abs(new - original) * 10 <= original
    assert (refusals == []) == lawful
    if not lawful:
        assert [r.code for r in refusals] == ["amendment.price_cap_exceeded"]


@given(
    original=prices,
    quantity=quantities,
    steps=st.lists(
        st.decimals(min_value=Decimal("0.80"), max_value=Decimal("1.25"), places=3), min_size=1, max_size=12
    ),
)
def test_repeated_market_changes_never_ratchet_past_the_cap(
    original: Decimal, quantity: Decimal, steps: list[Decimal]
) -> None:
    price, qty, signed_total = original, quantity, original * quantity
    for factor in steps:
        new = (price * factor).quantize(Decimal("0.01"))
        if new <= 0 or new == price:
            continue
        q_after = qty if new <= price else (qty * price / new).to_integral_value(ROUND_FLOOR)
        line = LineChange(original, price, new, qty, q_after)
        if not check_amendment("market_price_change", lines={"a": line}, due_before=DUE, due_after=DUE):
            price, qty = new, q_after
            assert within_cap(original, price, MARKET_PRICE_CAP)
            assert total_of({"a": line}, after=True) <= signed_total
    assert abs(price - original) <= original * MARKET_PRICE_CAP
    assert price * qty <= signed_total

"""The three award methods, the abnormally-low flag and the tie-breaks, as pure functions (no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.awards.methods import (
    BEST_VALUE,
    LOWEST_PRICE,
    METHODS,
    PRICE_PER_QUALITY_POINT,
    Offer,
    Standing,
    abnormally_low_threshold,
    best_value,
    lowest_price,
    median,
    price_per_quality_point,
    rank,
)

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
RATIO = Decimal("0.70")
WEIGHTS = {
    "price": Decimal("0.60"),
    "quality": Decimal("0.25"),
    "delivery": Decimal("0.10"),
    "life_cycle_cost": Decimal("0.05"),
}


def offer(bid: str, price: str, minute: int = 0, *, compliant: bool = True, **findings: str | int) -> Offer:
    """An offer submitted ``minute`` minutes after T0."""
    return Offer(
        bid_id=bid,
        price=Decimal(price),
        submitted_at=T0 + timedelta(minutes=minute),
        compliant=compliant,
        quality=Decimal(str(findings["quality"])) if "quality" in findings else None,
        delivery_days=Decimal(str(findings["delivery"])) if "delivery" in findings else None,
        life_cycle_cost=Decimal(str(findings["lcc"])) if "lcc" in findings else None,
    )


def order(standings: list[Standing]) -> list[str]:
    return [s.offer.bid_id for s in standings]


# --- lowest price -----------------------------------------------------------------------------------------------


def test_lowest_price_puts_the_cheapest_compliant_offer_first_and_non_compliant_last() -> None:
    offers = [offer("a", "900"), offer("b", "700", compliant=False), offer("c", "850"), offer("d", "880")]
    out = lowest_price(offers, abnormally_low_ratio=RATIO)
    assert order(out) == ["c", "d", "a", "b"]
    assert [s.rank for s in out] == [1, 2, 3, 4]
    assert out[0].figure == Decimal("850")
    assert [s.ranked for s in out] == [True, True, True, False]


def test_lowest_price_needs_no_scores() -> None:
    out = lowest_price([offer("a", "100"), offer("b", "90")], abnormally_low_ratio=RATIO)
    assert all(s.missing == () for s in out)
    assert order(out) == ["b", "a"]


def test_equal_prices_go_to_the_earlier_submission_then_the_smaller_bid_id() -> None:
    offers = [offer("z", "500", 5), offer("y", "500", 1), offer("x", "500", 5)]
    assert order(lowest_price(offers, abnormally_low_ratio=RATIO)) == ["y", "x", "z"]


# --- best value -------------------------------------------------------------------------------------------------


def test_best_value_scores_each_criterion_relative_to_the_best_and_weighs_them() -> None:
    offers = [
        offer("a", "1000", quality=90, delivery=30, lcc=2000),
        offer("b", "800", quality=60, delivery=60, lcc=1600),
    ]
    out = best_value(offers, weights=WEIGHTS, abnormally_low_ratio=RATIO)
    by_id = {s.offer.bid_id: s for s in out}
    # a: price 100*800/1000 = 80, quality 90, delivery 100*30/30 = 100, lcc 100*1600/2000 = 80
    assert by_id["a"].points == {
        "price": Decimal("80.0000"),
        "quality": Decimal("90.0000"),
        "delivery": Decimal("100.0000"),
        "life_cycle_cost": Decimal("80.0000"),
    }
    assert by_id["a"].figure == Decimal("84.5000")  # 0.6*80 + 0.25*90 + 0.1*100 + 0.05*80
    # b: price 100, quality 60, delivery 50, lcc 100 -> 60 + 15 + 5 + 5
    assert by_id["b"].figure == Decimal("85.0000")
    assert order(out) == ["b", "a"]


def test_best_value_lets_quality_outweigh_price_when_the_buyer_weights_it_so() -> None:
    offers = [offer("cheap", "800", quality=40), offer("good", "1000", quality=95)]
    weights = {"price": Decimal("0.4"), "quality": Decimal("0.6")}
    out = best_value(offers, weights=weights, abnormally_low_ratio=RATIO)
    assert order(out) == ["good", "cheap"]  # good: 0.4*80 + 0.6*95 = 89; cheap: 0.4*100 + 0.6*40 = 64
    assert out[0].figure == Decimal("89.0000")


def test_best_value_ranks_unscored_compliant_offers_after_scored_ones_and_says_what_is_missing() -> None:
    offers = [offer("bare", "100"), offer("scored", "900", quality=50, delivery=10, lcc=1000)]
    out = best_value(offers, weights=WEIGHTS, abnormally_low_ratio=RATIO)
    assert order(out) == ["scored", "bare"]
    assert out[1].missing == ("quality", "delivery", "life_cycle_cost")
    assert out[1].figure is None
    assert not out[1].ranked


def test_best_value_ignores_a_criterion_weighted_zero() -> None:
    weights = {"price": Decimal("0.5"), "quality": Decimal("0.5"), "delivery": Decimal("0")}
    out = best_value([offer("a", "100", quality=80)], weights=weights, abnormally_low_ratio=RATIO)
    assert out[0].ranked
    assert set(out[0].points) == {"price", "quality"}


def test_best_value_benchmarks_only_against_compliant_offers() -> None:
    offers = [offer("x", "500", compliant=False, quality=99), offer("a", "1000", quality=80)]
    weights = {"price": Decimal("1")}
    out = best_value(offers, weights=weights, abnormally_low_ratio=RATIO)
    assert out[0].offer.bid_id == "a"
    assert out[0].figure == Decimal("100.0000")  # the non-compliant 500 does not set the best price


# --- price per quality point ------------------------------------------------------------------------------------


def test_price_per_quality_point_picks_the_lowest_price_per_point() -> None:
    offers = [offer("a", "900", quality=90), offer("b", "700", quality=50), offer("c", "1000", quality=100)]
    out = price_per_quality_point(offers, abnormally_low_ratio=RATIO)
    assert order(out) == ["a", "c", "b"]  # 10, 10 (tie: a is cheaper), 14
    assert [s.figure for s in out] == [Decimal("10.0000"), Decimal("10.0000"), Decimal("14.0000")]


def test_price_per_quality_point_cannot_rank_an_offer_without_a_positive_quality_score() -> None:
    out = price_per_quality_point(
        [offer("zero", "10", quality=0), offer("a", "500", quality=50)], abnormally_low_ratio=RATIO
    )
    assert order(out) == ["a", "zero"]
    assert out[1].missing == ("quality",)


# --- abnormally low ---------------------------------------------------------------------------------------------


def test_median_of_odd_and_even_counts() -> None:
    assert median([Decimal(3), Decimal(1), Decimal(2)]) == Decimal(2)
    assert median([Decimal(4), Decimal(1), Decimal(2), Decimal(3)]) == Decimal("2.5")


def test_a_price_below_the_ratio_times_the_compliant_median_is_abnormally_low() -> None:
    offers = [offer("low", "600"), offer("b", "1000"), offer("c", "1100"), offer("x", "10", compliant=False)]
    # compliant median 1000 -> threshold 700; the non-compliant 10 does not move the median
    assert abnormally_low_threshold(offers, RATIO) == Decimal("700.00")
    flags = {s.offer.bid_id: s.abnormally_low for s in lowest_price(offers, abnormally_low_ratio=RATIO)}
    assert flags == {"low": True, "b": False, "c": False, "x": True}


def test_a_price_exactly_at_the_threshold_is_not_abnormally_low() -> None:
    offers = [offer("at", "700"), offer("b", "1000"), offer("c", "1000")]
    assert not lowest_price(offers, abnormally_low_ratio=RATIO)[0].abnormally_low


def test_nothing_is_abnormally_low_without_a_compliant_offer() -> None:
    offers = [offer("a", "1", compliant=False), offer("b", "1000", compliant=False)]
    assert abnormally_low_threshold(offers, RATIO) is None
    assert not any(s.abnormally_low for s in lowest_price(offers, abnormally_low_ratio=RATIO))


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown award method"):
        rank([], method="cheapest_friend", weights={}, abnormally_low_ratio=RATIO)


# --- properties -------------------------------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("1"), max_value=Decimal("1000000"), places=2)
scores = st.none() | st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
days = st.none() | st.integers(min_value=1, max_value=365).map(Decimal)


@st.composite
def lots(draw: st.DrawFn) -> list[Offer]:
    """Up to 8 offers with distinct ids, some sharing prices and submission times to exercise the tie-breaks."""
    n = draw(st.integers(min_value=0, max_value=8))
    price_pool = draw(st.lists(prices, min_size=1, max_size=3))
    return [
        Offer(
            bid_id=f"bid{i:02d}",
            price=draw(st.sampled_from(price_pool) | prices),
            submitted_at=T0 + timedelta(minutes=draw(st.integers(min_value=0, max_value=3))),
            compliant=draw(st.booleans()),
            quality=draw(scores),
            delivery_days=draw(days),
            life_cycle_cost=draw(st.none() | prices),
        )
        for i in range(n)
    ]


def _rank(offers: list[Offer], method: str) -> list[tuple[str, int, Decimal | None, bool]]:
    return [
        (s.offer.bid_id, s.rank, s.figure, s.abnormally_low)
        for s in rank(offers, method=method, weights=WEIGHTS, abnormally_low_ratio=RATIO)
    ]


@given(lots(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_a_ranking_is_deterministic_and_does_not_depend_on_the_order_of_the_offers(
    offers: list[Offer], method: str, rnd: random.Random
) -> None:
    first = _rank(offers, method)
    assert _rank(offers, method) == first
    shuffled = list(offers)
    rnd.shuffle(shuffled)
    assert _rank(shuffled, method) == first
    assert [r for _, r, _, _ in first] == list(range(1, len(offers) + 1))


@given(lots())
def test_lowest_price_ranks_first_the_minimum_price_among_compliant_offers(offers: list[Offer]) -> None:
    out = rank(offers, method=LOWEST_PRICE, weights=WEIGHTS, abnormally_low_ratio=RATIO)
    compliant = [o for o in offers if o.compliant]
    if not compliant:
        assert not any(s.ranked for s in out)
        return
    assert out[0].offer.compliant
    assert out[0].offer.price == min(o.price for o in compliant)
    cheapest = [o for o in compliant if o.price == out[0].offer.price]
    assert out[0].offer == min(cheapest, key=lambda o: (o.submitted_at, o.bid_id))


@given(lots(), st.sampled_from([BEST_VALUE, PRICE_PER_QUALITY_POINT]))
def test_ranked_offers_come_first_and_in_the_methods_order(offers: list[Offer], method: str) -> None:
    out = rank(offers, method=method, weights=WEIGHTS, abnormally_low_ratio=RATIO)
    flags = [s.ranked for s in out]
    assert flags == sorted(flags, reverse=True)  # every ranked offer before every unranked one
    figures = [s.figure for s in out if s.ranked]
    assert all(f is not None for f in figures)
    expected = sorted(figures, reverse=method == BEST_VALUE)  # type: ignore[type-var]
    assert figures == expected
    if method == BEST_VALUE:
        assert all(Decimal(0) <= f <= Decimal(100) for f in figures if f is not None)

"""Pure ranking of the offers on one lot under the three award methods; no database, no clock.

The formulas, the abnormally-low test and the tie-breaks are stated in docs/award-methods.md. Every figure is a
Decimal computed from the offers alone, so a ranking is the same whatever order the offers come in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

LOWEST_PRICE, BEST_VALUE, PRICE_PER_QUALITY_POINT = "lowest_price", "best_value", "price_per_quality_point"
METHODS = (LOWEST_PRICE, BEST_VALUE, PRICE_PER_QUALITY_POINT)

# What a method found for one offer: its figure, its points per criterion, the findings it still lacks.
Scored = tuple[Decimal | None, Mapping[str, Decimal], tuple[str, ...]]

HUNDRED = Decimal(100)
FIGURE = Decimal("0.0001")  # figures are rounded to four places before they are compared (what is shown decides)


@dataclass(frozen=True)
class Offer:
    """One bid's offer on a lot with the evaluators' findings (means over the evaluators who gave each)."""

    bid_id: str
    price: Decimal
    submitted_at: datetime
    compliant: bool
    quality: Decimal | None = None  # quality score, 0-100
    delivery_days: Decimal | None = None  # promised delivery time, days (> 0)
    life_cycle_cost: Decimal | None = None  # cost over the equipment's life, currency units (> 0)


@dataclass(frozen=True)
class Standing:
    """An offer's place in the ranking.

    ``figure`` is what the method compares: the price (lowest price), the weighted points out of 100 (best value)
    or the price per quality point. ``missing`` names what an evaluator still has to record before a compliant
    offer can be ranked (and so awarded); such offers come after every ranked one.
    """

    offer: Offer
    rank: int
    figure: Decimal | None
    points: Mapping[str, Decimal] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    abnormally_low: bool = False

    @property
    def ranked(self) -> bool:
        """Compliant and scored on everything the method needs."""
        return self.offer.compliant and not self.missing


def _q(value: Decimal) -> Decimal:
    return value.quantize(FIGURE, rounding=ROUND_HALF_EVEN)


def _tie_break(o: Offer) -> tuple[Decimal, datetime, str]:
    """Price, then earlier submission, then bid id: the same order for every method."""
    return (o.price, o.submitted_at, o.bid_id)


def median(values: Sequence[Decimal]) -> Decimal:
    """The median (the mean of the two middle values for an even count); ``values`` must not be empty."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def abnormally_low_threshold(offers: Sequence[Offer], ratio: Decimal) -> Decimal | None:
    """``ratio`` times the median price of the compliant offers; None while no offer is compliant."""
    prices = [o.price for o in offers if o.compliant]
    return ratio * median(prices) if prices else None


def _assemble(
    offers: Sequence[Offer],
    ratio: Decimal,
    scored: Mapping[str, Scored],
    primary: Callable[[Offer], Decimal],
) -> list[Standing]:
    """Order: ranked offers by ``primary`` then the tie-breaks; then unscored compliant; then non-compliant."""
    threshold = abnormally_low_threshold(offers, ratio)

    def key(o: Offer) -> tuple[object, ...]:
        figure, _, missing = scored[o.bid_id]
        group = 0 if o.compliant and not missing else 1 if o.compliant else 2
        return (group, primary(o) if group == 0 and figure is not None else Decimal(0), *_tie_break(o))

    out = []
    for i, o in enumerate(sorted(offers, key=key)):
        figure, points, missing = scored[o.bid_id]
        low = threshold is not None and o.price < threshold
        out.append(Standing(o, i + 1, figure, points, missing, low))
    return out


def lowest_price(offers: Sequence[Offer], *, abnormally_low_ratio: Decimal) -> list[Standing]:
    """Lowest price technically compliant: the cheapest compliant offer wins; no scores are needed."""
    scored: dict[str, Scored] = {o.bid_id: (o.price, {}, ()) for o in offers}
    return _assemble(offers, abnormally_low_ratio, scored, lambda o: o.price)


def _needs(o: Offer, criteria: Sequence[str]) -> tuple[str, ...]:
    have = {"price": o.price, "quality": o.quality, "delivery": o.delivery_days, "life_cycle_cost": o.life_cycle_cost}
    return tuple(c for c in criteria if have[c] is None)


def best_value(
    offers: Sequence[Offer], *, weights: Mapping[str, Decimal], abnormally_low_ratio: Decimal
) -> list[Standing]:
    """Weighted points out of 100, highest first.

    Price, delivery days and life-cycle cost score ``100 * best / own`` (the best among the ranked offers gets
    100); quality scores its own 0-100 mark. A criterion weighted 0 is neither needed nor scored.
    """
    used = [c for c in ("price", "quality", "delivery", "life_cycle_cost") if weights.get(c, Decimal(0)) > 0]
    missing = {o.bid_id: _needs(o, used) for o in offers}
    pool = [o for o in offers if o.compliant and not missing[o.bid_id]]
    raw: dict[str, Callable[[Offer], Decimal | None]] = {
        "price": lambda o: o.price,
        "quality": lambda o: o.quality,
        "delivery": lambda o: o.delivery_days,
        "life_cycle_cost": lambda o: o.life_cycle_cost,
    }
    best = {c: min(v for o in pool if (v := raw[c](o)) is not None) for c in used if c != "quality" and pool}
    scored: dict[str, Scored] = {}
    for o in offers:
        if missing[o.bid_id] or not o.compliant:
            scored[o.bid_id] = (None, {}, missing[o.bid_id])
            continue
        values = {c: v for c in used if (v := raw[c](o)) is not None}  # every used criterion: nothing is missing
        points = {c: _q(v if c == "quality" else HUNDRED * best[c] / v if v else HUNDRED) for c, v in values.items()}
        total = _q(sum((weights[c] * points[c] for c in used), Decimal(0)))
        scored[o.bid_id] = (total, points, ())
    return _assemble(offers, abnormally_low_ratio, scored, lambda o: -(scored[o.bid_id][0] or Decimal(0)))


def price_per_quality_point(offers: Sequence[Offer], *, abnormally_low_ratio: Decimal) -> list[Standing]:
    """Price divided by the quality score, lowest first; an offer needs a quality score above 0 to be ranked."""
    scored: dict[str, Scored] = {}
    for o in offers:
        if o.quality is None or o.quality <= 0:
            scored[o.bid_id] = (None, {}, ("quality",))
        else:
            scored[o.bid_id] = (_q(o.price / o.quality), {"quality": o.quality}, ())
    return _assemble(offers, abnormally_low_ratio, scored, lambda o: scored[o.bid_id][0] or Decimal(0))


def rank(
    offers: Sequence[Offer],
    *,
    method: str,
    weights: Mapping[str, Decimal],
    abnormally_low_ratio: Decimal,
) -> list[Standing]:
    """Rank ``offers`` under ``method`` (``weights`` are used by best value only)."""
    if method == LOWEST_PRICE:
        return lowest_price(offers, abnormally_low_ratio=abnormally_low_ratio)
    if method == BEST_VALUE:
        return best_value(offers, weights=weights, abnormally_low_ratio=abnormally_low_ratio)
    if method == PRICE_PER_QUALITY_POINT:
        return price_per_quality_point(offers, abnormally_low_ratio=abnormally_low_ratio)
    raise ValueError(f"unknown award method {method!r}; known: {list(METHODS)}")

"""The closed list of grounds on which a signed contract may be amended, and the pure check of an amendment.

The grounds are data: each says which terms it may change and in which direction the prices, the quantities and
the contract total may move. ``check_amendment`` reads that table and touches no database, so it can be tested
exhaustively (see tests/unit/contracts).

Source: Law of Ukraine No. 922-VIII "On Public Procurement", art. 41(5) — the essential terms of a procurement
contract may not change after signing except in the listed cases (item numbers below follow the 2019 text; check
against the consolidated text in force). Defence buyers apply the same list to contracts under Law 808-IX.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

Direction = Literal["any", "not_up", "down", "same"]

# Art. 41(5)(2) as first enacted: a unit price may rise by "up to 10 per cent" for market reasons without raising
# the contract total. The Grand Chamber of the Supreme Court of Ukraine (case 927/491/19, 18 June 2021; check)
# read the cap as cumulative against the price agreed at signature: successive amendments may not add up past it.
MARKET_PRICE_CAP = Decimal("0.10")


@dataclass(frozen=True)
class Ground:
    """One lawful reason to amend: what it may change and how totals and prices may move."""

    code: str
    summary: str
    source: str
    changes: frozenset[str]  # among "unit_price", "quantity", "delivery_due"
    prices: Direction = "any"  # how each changed unit price may move
    quantities: Direction = "any"  # how each changed quantity may move
    total: Direction = "any"  # how the contract total may move
    price_cap: Decimal | None = None  # max move of a unit price, as a share of its price at signature
    requires_change: bool = True  # False: the amendment may record a change of specification only


GROUNDS: dict[str, Ground] = {
    g.code: g
    for g in (
        Ground(
            "volume_reduction",
            "Smaller quantities, e.g. because the buyer's actual funding is lower",
            "Law 922-VIII art. 41(5)(1)",
            frozenset({"quantity"}),
            quantities="down",
            total="down",
        ),
        Ground(
            "market_price_change",
            "A unit price follows a documented market price change",
            "Law 922-VIII art. 41(5)(2); cap cumulative per Supreme Court 927/491/19 (check)",
            frozenset({"unit_price", "quantity"}),
            quantities="not_up",
            total="not_up",
            price_cap=MARKET_PRICE_CAP,
        ),
        Ground(
            "quality_improvement",
            "Better quality of the subject, without any price rise",
            "Law 922-VIII art. 41(5)(3)",
            frozenset({"unit_price"}),
            prices="not_up",
            total="same",
            requires_change=False,
        ),
        Ground(
            "term_extension",
            "Later delivery for documented objective circumstances (force majeure, funding)",
            "Law 922-VIII art. 41(5)(4)",
            frozenset({"delivery_due"}),
            total="same",
        ),
        Ground(
            "price_reduction",
            "An agreed lower price, quantities and quality unchanged",
            "Law 922-VIII art. 41(5)(5)",
            frozenset({"unit_price"}),
            prices="not_up",
            total="down",
        ),
        Ground(
            "tax_rate_change",
            "Prices follow a change of tax or levy rates, in proportion",
            "Law 922-VIII art. 41(5)(6)",
            frozenset({"unit_price"}),
        ),
        Ground(
            "exchange_rate_or_index_change",
            "Prices follow the consumer price index, an exchange rate or an exchange quote, as the contract provides",
            "Law 922-VIII art. 41(5)(7)",
            frozenset({"unit_price"}),
        ),
    )
}


@dataclass(frozen=True)
class LineChange:
    """One contract line before and after the amendment, with its unit price at signature."""

    original_unit_price: Decimal
    unit_price_before: Decimal
    unit_price_after: Decimal
    quantity_before: Decimal
    quantity_after: Decimal


@dataclass(frozen=True)
class Refusal:
    """Why an amendment is refused: a stable code, the line id (or "total", "delivery_due", "rationale")."""

    code: str
    field: str
    message: str


def within_cap(original: Decimal, new: Decimal, cap: Decimal = MARKET_PRICE_CAP) -> bool:
    """True when ``new`` differs from ``original`` by at most ``cap`` of ``original`` (exact decimal arithmetic)."""
    return abs(new - original) <= original * cap


def _moves(before: Decimal, after: Decimal, direction: Direction) -> bool:
    if direction == "not_up":
        return after <= before
    if direction == "down":
        return after < before
    if direction == "same":
        return after == before
    return True


_WORDS = {"not_up": "must not rise", "down": "must go down", "same": "must stay the same"}
_TOTAL_CODES = {
    "not_up": "amendment.total_increased",
    "down": "amendment.total_not_reduced",
    "same": "amendment.total_changed",
}


def total_of(lines: Mapping[str, LineChange], *, after: bool) -> Decimal:
    """Sum of quantity × unit price over the lines, before or after the amendment."""
    if after:
        return sum((ln.quantity_after * ln.unit_price_after for ln in lines.values()), Decimal(0))
    return sum((ln.quantity_before * ln.unit_price_before for ln in lines.values()), Decimal(0))


def check_amendment(
    rationale: str,
    *,
    lines: Mapping[str, LineChange],
    due_before: datetime | None,
    due_after: datetime | None,
) -> list[Refusal]:
    """Every reason the amendment breaks its ground's rules; an empty list means it is lawful."""
    ground = GROUNDS.get(rationale)
    if ground is None:
        return [Refusal("amendment.unknown_rationale", "rationale", f"must be one of {sorted(GROUNDS)}")]
    out: list[Refusal] = []
    changed = False
    for key, ln in lines.items():
        if ln.unit_price_after != ln.unit_price_before:
            changed = True
            out.extend(_price_refusals(ground, key, ln))
        if ln.quantity_after != ln.quantity_before:
            changed = True
            if "quantity" not in ground.changes:
                out.append(
                    Refusal(
                        "amendment.change_not_allowed", f"{key}.quantity", f"'{ground.code}' does not change quantities"
                    )
                )
            elif not _moves(ln.quantity_before, ln.quantity_after, ground.quantities):
                out.append(
                    Refusal(
                        "amendment.quantity_direction",
                        f"{key}.quantity",
                        f"under '{ground.code}' a quantity {_WORDS[ground.quantities]}",
                    )
                )
    if due_after != due_before:
        changed = True
        if "delivery_due" not in ground.changes:
            out.append(
                Refusal(
                    "amendment.change_not_allowed", "delivery_due", f"'{ground.code}' does not move the delivery date"
                )
            )
        elif due_after is None or (due_before is not None and due_after <= due_before):
            out.append(
                Refusal("amendment.term_not_extended", "delivery_due", "an extension must set a later delivery date")
            )
    if not changed and ground.requires_change:
        out.append(Refusal("amendment.no_change", "changes", "the amendment changes nothing"))
    before, after = total_of(lines, after=False), total_of(lines, after=True)
    if not _moves(before, after, ground.total):
        out.append(
            Refusal(
                _TOTAL_CODES[ground.total],
                "total",
                f"under '{ground.code}' the contract total {_WORDS[ground.total]} (from {before} it would be {after})",
            )
        )
    return out


def _price_refusals(ground: Ground, key: str, ln: LineChange) -> list[Refusal]:
    field = f"{key}.unit_price"
    if "unit_price" not in ground.changes:
        return [Refusal("amendment.change_not_allowed", field, f"'{ground.code}' does not change unit prices")]
    if not _moves(ln.unit_price_before, ln.unit_price_after, ground.prices):
        return [
            Refusal("amendment.price_direction", field, f"under '{ground.code}' a unit price {_WORDS[ground.prices]}")
        ]
    if ground.price_cap is not None and not within_cap(ln.original_unit_price, ln.unit_price_after, ground.price_cap):
        limit = ln.original_unit_price * ground.price_cap
        return [
            Refusal(
                "amendment.price_cap_exceeded",
                field,
                f"a unit price may move at most {ground.price_cap * 100:g} % ({limit}) from "
                f"{ln.original_unit_price}, its price at signature, in total over all amendments",
            )
        ]
    return []

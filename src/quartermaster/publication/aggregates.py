"""Aggregate counts and values per period: always public, classified processes included.

The disclosure policy may withhold a secret contract's value, but not that money was committed: the totals per
period count every process and every signed contract, and say how much of it is classified, so overseers and the
public can follow the scale of what they cannot see in detail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.contracts.models import Contract
from quartermaster.frameworks.models import Framework
from quartermaster.tenders.models import Lot, Tender

# Fewer classified contracts than this in a period and its sums are not published: with one or two, the classified
# total (or the whole total minus the public contracts, which are published one by one) is a single contract's value.
MIN_CLASSIFIED_GROUP = 3

Period = Literal["month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("month", "quarter", "year")


def period_of(moment: datetime, period: Period) -> str:
    """``2026-03``, ``2026-Q1`` or ``2026``."""
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if period == "quarter":
        return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"
    return f"{moment.year:04d}"


@dataclass
class Row:
    """The totals of one period."""

    period: str
    tenders_published: int = 0
    tenders_classified: int = 0
    contracts_signed: int = 0
    contracts_classified: int = 0
    contract_value: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    classified_contract_value: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def json(self) -> dict[str, Any]:
        """The row as published (amounts as exact decimal strings, by currency; None where suppressed)."""
        suppressed = 0 < self.contracts_classified < MIN_CLASSIFIED_GROUP

        def money(values: dict[str, Decimal]) -> list[dict[str, str]] | None:
            if suppressed:
                return None
            return [{"currency": c, "amount": f"{values[c]:.2f}"} for c in sorted(values)]

        return {
            "period": self.period,
            "tenders_published": self.tenders_published,
            "tenders_classified": self.tenders_classified,
            "contracts_signed": self.contracts_signed,
            "contracts_classified": self.contracts_classified,
            "contract_value": money(self.contract_value),
            "classified_contract_value": money(self.classified_contract_value),
            "values_suppressed": suppressed,
        }


def _classified(*markings: str | None) -> bool:
    return any(m not in (None, "public") for m in markings)


def aggregates(session: Session, period: Period) -> list[Row]:
    """Totals per period, oldest first: tenders by publication, contracts by signature (at the signed value)."""
    rows: dict[str, Row] = {}

    def row(moment: datetime | None) -> Row:
        assert moment is not None  # the queries select only published tenders and signed contracts
        key = period_of(moment, period)
        return rows.setdefault(key, Row(key))

    tenders = session.execute(
        select(Tender.id, Tender.published_at, Tender.marking).where(Tender.published_at.is_not(None))
    ).all()
    marked_lots = _marked(session.execute(select(Lot.tender_id, Lot.marking).where(Lot.marking.is_not(None))).all())
    tender_marking = {tid: marking for tid, _, marking in tenders}
    for tid, published_at, marking in tenders:
        r = row(published_at)
        r.tenders_published += 1
        r.tenders_classified += _classified(marking, *marked_lots.get(tid, ()))
    contracts = session.execute(
        select(
            Contract.tender_id,
            Contract.framework_id,
            Contract.marking,
            Contract.date_signed,
            Contract.signed_value_amount,
            Contract.value_amount,
            Contract.currency,
        ).where(Contract.date_signed.is_not(None))
    ).all()
    framework_tender: dict[str, str] = dict(session.execute(select(Framework.id, Framework.tender_id)).all())
    for contract_tender, framework_id, own_marking, signed_at, signed_value, value, currency in contracts:
        # A direct order has no tender of its own: it belongs to its framework's tender.
        owner = contract_tender or (framework_tender.get(framework_id) if framework_id else None)
        r = row(signed_at)
        secret = _classified(own_marking, *((tender_marking.get(owner), *marked_lots.get(owner, ())) if owner else ()))
        amount = signed_value if signed_value is not None else value
        r.contracts_signed += 1
        r.contracts_classified += secret
        r.contract_value[currency] += amount
        if secret:
            r.classified_contract_value[currency] += amount
    return [rows[key] for key in sorted(rows)]


def _marked(pairs: Iterable[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for tender_id, marking in pairs:
        out[tender_id].append(marking)
    return out

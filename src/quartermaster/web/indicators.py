"""The dashboard's indicators: read-only queries, one function per indicator, grouped by procedure.

Every indicator is computed only over processes whose ceiling is public (``access.visible_filter(None, ...)``, what
an anonymous reader may see): the dashboard is public, and a classified process must not move a public number
(a median or a share over a small group could give its dates or values away).

Shares are ratios between 0 and 1 rounded to four places; durations are days rounded to one place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.awards.models import ACTIVE as AWARD_ACTIVE
from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid
from quartermaster.contracts.models import DELIVERY_ACCEPTED, Contract, Delivery
from quartermaster.tenders import access
from quartermaster.tenders.models import Lot, Tender

SHARE = Decimal("0.0001")
DAYS = Decimal("0.1")
SECONDS_PER_DAY = Decimal(86400)
DIRECT_ORDER = "framework"  # a contract without a tender of its own but under a framework: a direct order
STAND_ALONE = "direct"  # a contract of neither tender nor framework


def _share(part: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_UP)


@dataclass(frozen=True)
class CycleTime:
    """Days from a tender's publication to the signature of its contracts, for one procedure."""

    procedure: str
    contracts: int
    median_days: Decimal


@dataclass(frozen=True)
class Competition:
    """Bids per tender among the tenders of one procedure whose bids were opened."""

    procedure: str
    tenders: int
    bids: int
    mean_bids: Decimal
    single_bid_share: Decimal


@dataclass(frozen=True)
class Savings:
    """Awarded against estimated value of the awarded lots of one procedure, in one currency."""

    procedure: str
    currency: str
    lots: int
    estimated: Decimal
    awarded: Decimal
    savings_share: Decimal  # 1 - awarded / estimated


@dataclass(frozen=True)
class OnTime:
    """Accepted deliveries of one procedure's contracts, and how many came by the contract's delivery date."""

    procedure: str
    deliveries: int
    on_time: int
    on_time_share: Decimal


def cycle_time(session: Session) -> list[CycleTime]:
    """Median days from publication to contract signature, per procedure (signed contracts of public tenders)."""
    rows = session.execute(
        select(Tender.procedure, Tender.published_at, Contract.date_signed)
        .join(Contract, Contract.tender_id == Tender.id)
        .where(
            Tender.published_at.is_not(None), Contract.date_signed.is_not(None), access.visible_filter(None, "tender")
        )
    ).all()
    days: dict[str, list[Decimal]] = defaultdict(list)
    for procedure, published_at, signed_at in rows:
        assert published_at is not None  # selected only where both are set
        assert signed_at is not None
        days[procedure].append(Decimal(str((signed_at - published_at).total_seconds())) / SECONDS_PER_DAY)
    return [CycleTime(p, len(days[p]), median(days[p]).quantize(DAYS, ROUND_HALF_UP)) for p in sorted(days)]


def competition(session: Session) -> list[Competition]:
    """Mean bids per tender and the share of tenders with a single bid, per procedure (public tenders whose bids
    were opened; a withdrawn bid was never opened and does not count)."""
    opened = (
        select(Bid.tender_id, func.count().label("bids"))
        .where(Bid.opened_at.is_not(None))
        .group_by(Bid.tender_id)
        .subquery()
    )
    rows = session.execute(
        select(Tender.procedure, opened.c.bids)
        .join(opened, opened.c.tender_id == Tender.id)
        .where(access.visible_filter(None, "tender"))
    ).all()
    counts: dict[str, list[int]] = defaultdict(list)
    for procedure, bids in rows:
        counts[procedure].append(int(bids))
    out = []
    for p in sorted(counts):
        tenders, bids = len(counts[p]), sum(counts[p])
        singles = sum(1 for n in counts[p] if n == 1)
        out.append(
            Competition(p, tenders, bids, _share(bids, tenders).quantize(Decimal("0.01")), _share(singles, tenders))
        )
    return out


def savings(session: Session) -> list[Savings]:
    """1 - awarded / estimated over the awarded lots of public tenders, per procedure and currency.

    A lot counts at its estimated value and its active award's value; a framework lot awarded to several suppliers
    counts at the mean of their awards (each is a whole offer for the lot, not a share of it).
    """
    rows = session.execute(
        select(Tender.procedure, Lot.id, Lot.currency, Lot.value_amount, Award.value_amount)
        .join(Lot, Lot.tender_id == Tender.id)
        .join(Award, Award.lot_id == Lot.id)
        .where(Award.status == AWARD_ACTIVE, Award.currency == Lot.currency, access.visible_filter(None, "tender"))
    ).all()
    lots: dict[tuple[str, str], dict[str, tuple[Decimal, list[Decimal]]]] = defaultdict(dict)
    for procedure, lot_id, currency, estimated, awarded in rows:
        lots[(procedure, currency)].setdefault(lot_id, (estimated, []))[1].append(awarded)
    out = []
    for key in sorted(lots):
        estimated = sum((e for e, _ in lots[key].values()), Decimal(0))
        awarded = sum((sum(a, Decimal(0)) / len(a) for _, a in lots[key].values()), Decimal(0)).quantize(
            Decimal("0.01")
        )
        if estimated > 0:
            out.append(Savings(key[0], key[1], len(lots[key]), estimated, awarded, 1 - _share(awarded, estimated)))
    return out


def on_time_delivery(session: Session) -> list[OnTime]:
    """The share of accepted deliveries made by their contract's delivery date, per procedure (public contracts
    with a delivery date; a direct order under a framework counts as ``framework``, a stand-alone one as ``direct``)."""
    rows = session.execute(
        select(Tender.procedure, Contract.framework_id, Delivery.delivered_at, Contract.delivery_due)
        .select_from(Delivery)
        .join(Contract, Contract.id == Delivery.contract_id)
        .outerjoin(Tender, Tender.id == Contract.tender_id)
        .where(
            Delivery.status == DELIVERY_ACCEPTED,
            Contract.delivery_due.is_not(None),
            access.visible_filter(None, "contract"),
        )
    ).all()
    tally: dict[str, list[bool]] = defaultdict(list)
    for procedure, framework_id, delivered_at, due in rows:
        assert due is not None  # selected only where set
        kind = procedure or (DIRECT_ORDER if framework_id else STAND_ALONE)
        tally[kind].append(delivered_at <= due)
    return [OnTime(p, len(tally[p]), sum(tally[p]), _share(sum(tally[p]), len(tally[p]))) for p in sorted(tally)]

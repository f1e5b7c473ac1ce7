"""A lot's ranking: the tender's award scheme applied to its valid bids and their evaluations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.awards import methods
from quartermaster.awards.methods import Offer, Standing
from quartermaster.awards.models import Evaluation, JustificationRequest
from quartermaster.bids.models import VALID, Bid
from quartermaster.errors import RuleViolation
from quartermaster.rules.model import award_method_errors, default_award_method
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender


@dataclass(frozen=True)
class Ranked:
    """A bid's standing on one lot."""

    bid: Bid
    amount: Decimal
    compliant: bool
    evaluated: bool
    mean_score: Decimal | None
    standing: Standing
    justification: str | None  # status of the request to explain an abnormally low price, if one was made
    method: str  # the award method the standing was computed under


@dataclass(frozen=True)
class AwardScheme:
    """How a tender's lots are ranked: its method, best-value weights and abnormally-low ratio."""

    method: str
    weights: Mapping[str, Decimal]
    abnormally_low_ratio: Decimal


def award_scheme(tender: Tender) -> AwardScheme:
    """The tender's award method with its weights (the tender's own, else its rulebook's defaults)."""
    book, _ = tenders.tender_rules(tender)
    method = tender.award_method or default_award_method(tender.award_criteria)
    if tender.award_weights is None:
        return AwardScheme(method, book.best_value_weights, book.abnormally_low_ratio)
    weights = {k: Decimal(v) for k, v in tender.award_weights.items()}
    errors = award_method_errors(tender.award_criteria, tender.award_method, weights, book.best_value_weights)
    if errors:
        raise RuleViolation(
            f"the tender's award method breaks rulebook {book.version}",
            code="award.method_not_allowed",
            errors=errors,
            rulebook_version=book.version,
        )
    return AwardScheme(method, weights, book.abnormally_low_ratio)


def _mean(values: Sequence[Decimal | int | None]) -> Decimal | None:
    given = [Decimal(v) for v in values if v is not None]
    return (sum(given, Decimal(0)) / len(given)).quantize(Decimal("0.01")) if given else None


def rank_lot(session: Session, *, tender: Tender, lot_id: str) -> list[Ranked]:
    """Valid bids on a lot, best first under the tender's award method (awards/methods.py has the order)."""
    rows = session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == VALID)).all()
    evals = session.scalars(
        select(Evaluation).where(Evaluation.tender_id == tender.id, Evaluation.lot_id == lot_id)
    ).all()
    asked = session.scalars(
        select(JustificationRequest).where(
            JustificationRequest.tender_id == tender.id, JustificationRequest.lot_id == lot_id
        )
    ).all()
    status_of = {j.bid_id: j.status for j in asked}
    by_bid: dict[str, list[Evaluation]] = {}
    for ev in evals:
        by_bid.setdefault(ev.bid_id, []).append(ev)
    offers: dict[str, tuple[Bid, Offer, bool]] = {}
    for bid in rows:
        value = bid.value_for(lot_id)
        if value is None:
            continue
        mine = by_bid.get(bid.id, [])
        offers[bid.id] = (
            bid,
            Offer(
                bid_id=bid.id,
                price=value.amount,
                submitted_at=bid.submitted_at,
                compliant=bool(mine) and all(e.compliant for e in mine),
                quality=_mean([e.score for e in mine]),
                delivery_days=_mean([e.delivery_days for e in mine]),
                life_cycle_cost=_mean([e.life_cycle_cost for e in mine]),
            ),
            bool(mine),
        )
    if not offers:
        return []  # nothing to rank (a draft has no rulebook to rank by yet)
    scheme = award_scheme(tender)
    standings = methods.rank(
        [o for _, o, _ in offers.values()],
        method=scheme.method,
        weights=scheme.weights,
        abnormally_low_ratio=scheme.abnormally_low_ratio,
    )
    out = []
    for st in standings:
        bid, offer, evaluated = offers[st.offer.bid_id]
        out.append(
            Ranked(
                bid, offer.price, offer.compliant, evaluated, offer.quality, st, status_of.get(bid.id), scheme.method
            )
        )
    return out

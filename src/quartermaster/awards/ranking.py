"""A lot's ranking: the tender's award scheme applied to its valid bids and the lot's evaluation of record.

The evaluation of record is, for a tender with an evaluation committee, the committee's consolidation of the lot
(majority compliance, median findings: ``committees.scoring``); individual evaluators' rows do not count there, and
until the consolidation exists no offer is compliant. A tender without a committee is ranked, as it always was, on its
evaluators' rows (every one compliant; the mean of each finding).
"""

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
from quartermaster.committees import scoring
from quartermaster.committees import service as committees
from quartermaster.committees.models import Consolidation
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
    basis: str  # EVALUATIONS or CONSOLIDATION: what the findings came from


EVALUATIONS, CONSOLIDATION = "evaluations", "consolidation"


@dataclass(frozen=True)
class Findings:
    """What the evaluation of record found about one offer on a lot."""

    compliant: bool
    quality: Decimal | None = None
    delivery_days: Decimal | None = None
    life_cycle_cost: Decimal | None = None


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


def has_committee(session: Session, tender: Tender) -> bool:
    """Whether the tender's evaluation of record is its committee's consolidation (rather than evaluators' rows)."""
    return committees.get_committee(session, tender.id) is not None


def consolidation_of_record(session: Session, *, tender: Tender, lot_id: str) -> Consolidation | None:
    """A committee tender's consolidation of the lot (RuleViolation ``award.not_consolidated`` while there is none);
    None for a tender without a committee."""
    if not has_committee(session, tender):
        return None
    found = scoring.consolidation_of(session, tender.id, lot_id)
    if found is None:
        raise RuleViolation(
            "the lot cannot be awarded before the committee's chair has consolidated the members' assessments",
            code="award.not_consolidated",
            lot_id=lot_id,
        )
    return found


def _from_evaluations(session: Session, tender: Tender, lot_id: str) -> dict[str, Findings]:
    """Every evaluator found the offer compliant; each finding is the mean of those who recorded it."""
    evals = session.scalars(
        select(Evaluation).where(Evaluation.tender_id == tender.id, Evaluation.lot_id == lot_id)
    ).all()
    by_bid: dict[str, list[Evaluation]] = {}
    for ev in evals:
        by_bid.setdefault(ev.bid_id, []).append(ev)
    return {
        bid_id: Findings(
            compliant=all(e.compliant for e in mine),
            quality=_mean([e.score for e in mine]),
            delivery_days=_mean([e.delivery_days for e in mine]),
            life_cycle_cost=_mean([e.life_cycle_cost for e in mine]),
        )
        for bid_id, mine in by_bid.items()
    }


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _from_consolidation(session: Session, tender: Tender, lot_id: str) -> dict[str, Findings]:
    """The committee's consolidated results; nothing before the chair has consolidated."""
    consolidation = scoring.consolidation_of(session, tender.id, lot_id)
    if consolidation is None:
        return {}
    return {
        str(r["bid_id"]): Findings(
            compliant=bool(r["compliant"]),
            quality=_decimal(r.get("quality")),
            delivery_days=_decimal(r.get("delivery_days")),
            life_cycle_cost=_decimal(r.get("life_cycle_cost")),
        )
        for r in consolidation.results
    }


def rank_lot(session: Session, *, tender: Tender, lot_id: str) -> list[Ranked]:
    """Valid bids on a lot, best first under the tender's award method (awards/methods.py has the order), on the
    lot's evaluation of record."""
    rows = session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == VALID)).all()
    basis = CONSOLIDATION if has_committee(session, tender) else EVALUATIONS
    found = (_from_consolidation if basis == CONSOLIDATION else _from_evaluations)(session, tender, lot_id)
    asked = session.scalars(
        select(JustificationRequest).where(
            JustificationRequest.tender_id == tender.id, JustificationRequest.lot_id == lot_id
        )
    ).all()
    status_of = {j.bid_id: j.status for j in asked}
    offers: dict[str, tuple[Bid, Offer, bool]] = {}
    for bid in rows:
        value = bid.value_for(lot_id)
        if value is None:
            continue
        mine = found.get(bid.id)
        offers[bid.id] = (
            bid,
            Offer(
                bid_id=bid.id,
                price=value.amount,
                submitted_at=bid.submitted_at,
                compliant=mine is not None and mine.compliant,
                quality=mine.quality if mine else None,
                delivery_days=mine.delivery_days if mine else None,
                life_cycle_cost=mine.life_cycle_cost if mine else None,
            ),
            mine is not None,
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
                bid,
                offer.price,
                offer.compliant,
                evaluated,
                offer.quality,
                st,
                status_of.get(bid.id),
                scheme.method,
                basis,
            )
        )
    return out

"""Evaluation and award I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, RootModel, StringConstraints

from quartermaster.decisions.schemas import SignatureIn
from quartermaster.schema_base import Input, LongText, MoneyIO, Output

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class EvaluationIn(Input):
    """An evaluator's verdict on a bid for a lot."""

    lot_id: Id
    compliant: bool
    score: Decimal | None = Field(
        default=None, ge=0, le=100, max_digits=5, decimal_places=2, description="Quality score, 0-100."
    )
    delivery_days: int | None = Field(default=None, ge=1, le=3650, description="Delivery time the offer commits to.")
    life_cycle_cost: Decimal | None = Field(
        default=None, gt=0, max_digits=18, decimal_places=2, description="Cost over the equipment's life."
    )
    notes: LongText | None = None


class EvaluationRead(Output):
    """A recorded verdict."""

    id: str
    bid_id: str
    lot_id: str
    evaluator_id: str
    compliant: bool
    score: Decimal | None
    delivery_days: int | None
    life_cycle_cost: Decimal | None
    notes: str | None
    evaluated_at: datetime


class AwardIn(Input):
    """Award a lot: to ranked bids (competitive procedures; several for a framework) or directly (limited)."""

    bid_ids: list[Id] | None = Field(default=None, min_length=1, max_length=50)
    supplier_id: Id | None = None
    value: MoneyIO | None = None
    rationale: LongText | None = None
    signature: SignatureIn | None = Field(
        default=None, description="The approver's signature over the decision; required once they enrolled a key."
    )


class AwardRead(Output):
    """An award as returned."""

    id: str
    tender_id: str
    lot_id: str
    bid_id: str | None
    supplier_id: str
    value: MoneyIO
    status: str
    decided_at: datetime
    standstill_end: datetime | None
    complaint_end: datetime | None
    rationale: str | None
    status_reason: str | None


class RankRead(Output):
    """A bid's place in a lot's ranking under the tender's award method (docs/award-methods.md)."""

    rank: int
    bid_id: str
    supplier_id: str
    value: MoneyIO
    compliant: bool
    evaluated: bool
    mean_score: Decimal | None
    method: str = Field(description="lowest_price, best_value or price_per_quality_point.")
    figure: Decimal | None = Field(
        description="What the method compares: price, weighted points out of 100, or price per quality point."
    )
    points: dict[str, Decimal] = Field(description="Best value: points out of 100 per criterion.")
    missing: list[str] = Field(description="Findings an evaluator must still record before the bid can be ranked.")
    abnormally_low: bool = Field(description="Price below the rulebook's ratio times the median compliant price.")
    justification: str | None = Field(description="Status of the request to explain the price: requested, answered.")
    basis: str = Field(
        description="What the findings come from: 'consolidation' (the committee's, for a tender with a committee) "
        "or 'evaluations' (the evaluators' rows)."
    )


class JustificationRequestIn(Input):
    """Ask a supplier to explain an abnormally low price on a lot."""

    lot_id: Id
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class JustificationAnswerIn(Input):
    """The supplier's explanation of its price."""

    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class JustificationRead(Output):
    """A justification request and, once given, its answer."""

    id: str
    tender_id: str
    lot_id: str
    bid_id: str
    supplier_id: str
    status: str
    price: MoneyIO
    threshold: MoneyIO
    question: str
    requested_by: str
    requested_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


def justification_read(row: Any) -> JustificationRead:
    """JustificationRead from a JustificationRequest row."""
    return JustificationRead(
        id=row.id,
        tender_id=row.tender_id,
        lot_id=row.lot_id,
        bid_id=row.bid_id,
        supplier_id=row.supplier_id,
        status=row.status,
        price=MoneyIO.of(row.price_amount, row.currency),
        threshold=MoneyIO.of(row.threshold_amount, row.currency),
        question=row.question,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        answer=row.answer,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
    )


def award_read(aw: Any) -> AwardRead:
    """AwardRead from an Award row."""
    return AwardRead(
        id=aw.id,
        tender_id=aw.tender_id,
        lot_id=aw.lot_id,
        bid_id=aw.bid_id,
        supplier_id=aw.supplier_id,
        value=MoneyIO.of(aw.value_amount, aw.currency),
        status=aw.status,
        decided_at=aw.decided_at,
        standstill_end=aw.standstill_end,
        complaint_end=aw.complaint_end,
        rationale=aw.rationale,
        status_reason=aw.status_reason,
    )


class AwardList(RootModel[list[AwardRead]]):
    """Several awards made by one decision."""

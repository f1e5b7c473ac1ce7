"""Evaluation and award I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, RootModel, StringConstraints

from quartermaster.schema_base import Input, LongText, MoneyIO, Output

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class EvaluationIn(Input):
    """An evaluator's verdict on a bid for a lot."""

    lot_id: Id
    compliant: bool
    score: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2)
    notes: LongText | None = None


class EvaluationRead(Output):
    """A recorded verdict."""

    id: str
    bid_id: str
    lot_id: str
    evaluator_id: str
    compliant: bool
    score: Decimal | None
    notes: str | None
    evaluated_at: datetime


class AwardIn(Input):
    """Award a lot: to ranked bids (competitive procedures; several for a framework) or directly (limited)."""

    bid_ids: list[Id] | None = Field(default=None, min_length=1, max_length=50)
    supplier_id: Id | None = None
    value: MoneyIO | None = None
    rationale: LongText | None = None


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
    """A bid's place in a lot's ranking under the tender's award criteria."""

    rank: int
    bid_id: str
    supplier_id: str
    value: MoneyIO
    compliant: bool
    evaluated: bool
    mean_score: Decimal | None


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

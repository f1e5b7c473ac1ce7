"""Evaluation and Award rows and the award state machine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.actors import Role
from quartermaster.db.base import Base, new_id
from quartermaster.statemachine import StateMachine, t

A, E = Role.APPROVER, Role.EVALUATOR

ACTIVE, CANCELLED = "active", "cancelled"

AWARD_MACHINE = StateMachine(
    "award",
    ("none", ACTIVE, CANCELLED),
    [
        t("award", ["none"], [ACTIVE], "AwardMade", A),
        t("cancel_award", [ACTIVE], [CANCELLED], "AwardCancelled", A),
    ],
)

EVALUATION_COMMANDS = StateMachine(
    "evaluation",
    ("none", "recorded"),
    [t("evaluate_bid", ["none", "recorded"], ["recorded"], "BidEvaluated", E)],
)


class Evaluation(Base):
    """One evaluator's verdict on one bid for one lot: compliant or not, an optional quality score, notes."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_bid_lot_evaluator", "bid_id", "lot_id", "evaluator_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    evaluator_id: Mapped[str] = mapped_column(String(32))
    compliant: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime]


class Award(Base):
    """The decision to award a lot to a supplier, at a value; opens the standstill period."""

    __tablename__ = "awards"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    bid_id: Mapped[str | None] = mapped_column(ForeignKey("bids.id"))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    value_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    decided_by: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime]
    standstill_end: Mapped[datetime | None]
    complaint_end: Mapped[datetime | None]
    rationale: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)

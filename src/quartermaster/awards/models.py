"""Evaluation and Award rows and the award state machine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.actors import Role
from quartermaster.db.base import Base, new_id
from quartermaster.statemachine import StateMachine, t

A, E, B, S = Role.APPROVER, Role.EVALUATOR, Role.BUYER, Role.SUPPLIER

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

REQUESTED, ANSWERED = "requested", "answered"

# An abnormally low offer is explained before it can be awarded (Directive 2009/81/EC art. 49).
JUSTIFICATION_MACHINE = StateMachine(
    "justification",
    ("none", REQUESTED, ANSWERED),
    [
        t("request_justification", ["none"], [REQUESTED], "JustificationRequested", B, A),
        t("answer_justification", [REQUESTED], [ANSWERED], "JustificationAnswered", S),
    ],
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
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # quality score, 0-100
    delivery_days: Mapped[int | None] = mapped_column(Integer)  # delivery time the offer commits to
    life_cycle_cost: Mapped[Decimal | None]  # the offer's cost over the equipment's life, tender currency
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


class JustificationRequest(Base):
    """The buyer's request that a supplier explain an abnormally low price on a lot, and the supplier's answer."""

    __tablename__ = "justification_requests"
    __table_args__ = (Index("ix_justification_requests_bid_lot", "bid_id", "lot_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    status: Mapped[str] = mapped_column(String(16), default=REQUESTED)
    price_amount: Mapped[Decimal]  # the offer's price when asked
    threshold_amount: Mapped[Decimal]  # abnormally_low_ratio x median compliant price when asked
    currency: Mapped[str] = mapped_column(String(3))
    question: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]

"""Bid, per-lot bid values and candidacies, with their state machines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.actors import Role
from quartermaster.db.base import Base, new_id
from quartermaster.statemachine import StateMachine, t

A, E, S, SYS = Role.APPROVER, Role.EVALUATOR, Role.SUPPLIER, Role.SYSTEM

PENDING, VALID, DISQUALIFIED, WITHDRAWN = "pending", "valid", "disqualified", "withdrawn"

BID_MACHINE = StateMachine(
    "bid",
    ("none", PENDING, VALID, DISQUALIFIED, WITHDRAWN),
    [
        t("submit_bid", ["none"], [PENDING], "BidSubmitted", S),
        t("amend_bid", [PENDING], [PENDING], "BidAmended", S),
        t("withdraw_bid", [PENDING], [WITHDRAWN], "BidWithdrawn", S),
        t("open_bid", [PENDING], [VALID], "BidOpened", A, E, SYS),
        # A sealed bid that does not open (altered or swapped ciphertext, wrong context, unreadable prices).
        t("invalidate_bid", [PENDING], [DISQUALIFIED], "BidInvalidated", A, E, SYS),
        t("revise_bid", [VALID], [VALID], "BidRevised", S),
        t("disqualify_bid", [VALID], [DISQUALIFIED], "BidDisqualified", A),
    ],
)

APPLIED, QUALIFIED, REJECTED = "applied", "qualified", "rejected"

CANDIDACY_MACHINE = StateMachine(
    "candidacy",
    ("none", APPLIED, QUALIFIED, REJECTED),
    [
        t("apply_to_participate", ["none"], [APPLIED], "CandidacySubmitted", S),
        t("qualify_candidate", [APPLIED], [QUALIFIED], "CandidateQualified", A, E),
        t("reject_candidate", [APPLIED], [REJECTED], "CandidateRejected", A, E),
    ],
)


class Bid(Base):
    """A supplier's offer on one or more lots of a tender."""

    __tablename__ = "bids"
    __table_args__ = (Index("ix_bids_tender_supplier", "tender_id", "supplier_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)
    commitment_salt: Mapped[str | None] = mapped_column(String(32))
    # A sealed bid: the supplier's HPKE envelope (canonical JSON), its SHA-256 commitment (logged on receipt) and the
    # lots it says it covers. Its prices exist here only once the envelope has been opened (``values``).
    envelope: Mapped[str | None] = mapped_column(Text)
    commitment: Mapped[str | None] = mapped_column(String(64))
    sealed_lots: Mapped[list[str] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)

    values: Mapped[list[BidValue]] = relationship(
        back_populates="bid", cascade="all, delete-orphan", lazy="selectin", order_by="BidValue.lot_id"
    )

    __mapper_args__ = {"version_id_col": version}

    def value_for(self, lot_id: str) -> BidValue | None:
        """This bid's offer on a lot, if any."""
        return next((v for v in self.values if v.lot_id == lot_id), None)


class BidValue(Base):
    """The price offered for one lot (revised in negotiation; the first offer is kept)."""

    __tablename__ = "bid_values"
    __table_args__ = (Index("ix_bid_values_bid_lot", "bid_id", "lot_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    initial_amount: Mapped[Decimal]

    bid: Mapped[Bid] = relationship(back_populates="values")


class Candidacy(Base):
    """A request to participate in a selective procedure, reviewed in prequalification."""

    __tablename__ = "candidacies"
    __table_args__ = (Index("ix_candidacies_tender_supplier", "tender_id", "supplier_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    submitted_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=APPLIED)
    statement: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)

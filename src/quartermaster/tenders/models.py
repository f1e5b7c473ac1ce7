"""Tender, Lot, Item and Enquiry rows, and the tender and lot state machines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.actors import Role
from quartermaster.db.base import Base, Quantity, new_id
from quartermaster.statemachine import StateMachine, t

B, A, E, S, SYS = Role.BUYER, Role.APPROVER, Role.EVALUATOR, Role.SUPPLIER, Role.SYSTEM

DRAFT = "draft"
PREQUALIFICATION = "active.prequalification"
PREQUALIFICATION_REVIEW = "active.prequalification.review"
ENQUIRIES = "active.enquiries"
TENDERING = "active.tendering"
OPENING = "active.opening"
NEGOTIATION = "active.negotiation"
QUALIFICATION = "active.qualification"
AWARDED = "active.awarded"
COMPLETE = "complete"
UNSUCCESSFUL = "unsuccessful"
CANCELLED = "cancelled"

LIVE = (PREQUALIFICATION, PREQUALIFICATION_REVIEW, ENQUIRIES, TENDERING, OPENING, NEGOTIATION, QUALIFICATION, AWARDED)
FIRST_STATES = (PREQUALIFICATION, ENQUIRIES, TENDERING, QUALIFICATION)

DERIVED_COMMANDS = frozenset({"award_lots", "reopen_qualification", "complete_tender", "fail_tender"})

TENDER_MACHINE = StateMachine(
    "tender",
    (DRAFT, *LIVE, COMPLETE, UNSUCCESSFUL, CANCELLED),
    [
        t("update_tender", [DRAFT], [DRAFT], "TenderUpdated", B, A),
        t("publish_tender", [DRAFT], FIRST_STATES, "TenderPublished", A),
        t("end_prequalification", [PREQUALIFICATION], [PREQUALIFICATION_REVIEW], "PrequalificationEnded", SYS),
        t("invite_tenderers", [PREQUALIFICATION_REVIEW], [TENDERING, UNSUCCESSFUL], "TenderersInvited", A),
        t("end_enquiry_period", [ENQUIRIES], [TENDERING], "EnquiryPeriodEnded", SYS),
        t("end_tender_period", [TENDERING], [OPENING, TENDERING], "TenderPeriodEnded", SYS),
        t("open_bids", [OPENING], [QUALIFICATION, NEGOTIATION, UNSUCCESSFUL], "BidsOpened", A, E),
        t("close_negotiation", [NEGOTIATION], [QUALIFICATION], "NegotiationClosed", A),
        t("ask_question", [ENQUIRIES, TENDERING], [ENQUIRIES, TENDERING], "QuestionAsked", S),
        t("answer_question", [ENQUIRIES, TENDERING, OPENING], [ENQUIRIES, TENDERING, OPENING], "QuestionAnswered", B),
        t("cancel_tender", [DRAFT, *LIVE], [CANCELLED], "TenderCancelled", A),
        # Derived transitions: applied as a consequence of a lot-level command, never called on their own.
        t("award_lots", [QUALIFICATION], [AWARDED], "TenderAwarded", A, SYS),
        t("reopen_qualification", [AWARDED], [QUALIFICATION], "QualificationReopened", A),
        t("complete_tender", [AWARDED], [COMPLETE], "TenderCompleted", A, S, SYS),
        t(
            "fail_tender",
            [PREQUALIFICATION_REVIEW, OPENING, QUALIFICATION, AWARDED],
            [UNSUCCESSFUL],
            "TenderUnsuccessful",
            A,
            E,
            SYS,
        ),
    ],
    derived=DERIVED_COMMANDS,
)


LOT_ACTIVE, LOT_AWARDED, LOT_COMPLETE = "active", "awarded", "complete"
LOT_UNSUCCESSFUL, LOT_CANCELLED = "unsuccessful", "cancelled"

LOT_MACHINE = StateMachine(
    "lot",
    (LOT_ACTIVE, LOT_AWARDED, LOT_COMPLETE, LOT_UNSUCCESSFUL, LOT_CANCELLED),
    [
        t("award", [LOT_ACTIVE], [LOT_AWARDED], "LotAwarded", A),
        t("declare_lot_unsuccessful", [LOT_ACTIVE], [LOT_UNSUCCESSFUL], "LotDeclaredUnsuccessful", A, SYS),
        t("reopen_lot", [LOT_AWARDED], [LOT_ACTIVE], "LotReopened", A),
        t("complete_lot", [LOT_AWARDED], [LOT_COMPLETE], "LotCompleted", A, S, SYS),
        t("cancel_lot", [LOT_ACTIVE, LOT_AWARDED], [LOT_CANCELLED], "LotCancelled", A),
    ],
)


class Tender(Base):
    """A contracting process's tender: what is bought, how, under which rulebook version, and its periods."""

    __tablename__ = "tenders"
    __table_args__ = (
        Index("ix_tenders_status_published", "status", "published_at"),
        Index("ix_tenders_buyer", "buyer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    procedure: Mapped[str] = mapped_column(String(32))
    rulebook_version: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(40), default=DRAFT)
    category: Mapped[str] = mapped_column(String(16))  # OCDS mainProcurementCategory: goods|services|works
    value_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    award_criteria: Mapped[str] = mapped_column(String(32))
    # None: the default method for award_criteria (rules.default_award_method); see docs/award-methods.md
    award_method: Mapped[str | None] = mapped_column(String(32))
    # Best-value weights as decimal strings by criterion; None: the rulebook's best_value_weights
    award_weights: Mapped[dict[str, str] | None] = mapped_column(JSON)
    justification: Mapped[str | None] = mapped_column(String(48))
    justification_details: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("plans.id"))
    framework_id: Mapped[str | None] = mapped_column(String(32))
    cpv_main: Mapped[str] = mapped_column(String(10), index=True)  # first item's CPV, for prefix search
    prequalification_end: Mapped[datetime | None]
    enquiry_end: Mapped[datetime | None]
    tender_start: Mapped[datetime | None]
    tender_end: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    published_by: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Security marking of the whole process (see types.MARKINGS); lots, items, documents and contracts may be marked
    # higher. ``declassify_on``: from this date the process is published in full.
    marking: Mapped[str] = mapped_column(String(16), default="public")
    declassify_on: Mapped[date | None]

    lots: Mapped[list[Lot]] = relationship(
        back_populates="tender", order_by="Lot.position", cascade="all, delete-orphan", lazy="selectin"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="tender", order_by="Item.position", cascade="all, delete-orphan", lazy="select"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        """True once the tender has been published (a draft cancelled before publication never was)."""
        return self.published_at is not None

    def lot(self, lot_id: str) -> Lot | None:
        """One of this tender's lots."""
        return next((lot for lot in self.lots if lot.id == lot_id), None)


class Lot(Base):
    """A part of a tender that is bid on and awarded separately."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    value_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=LOT_ACTIVE)
    marking: Mapped[str | None] = mapped_column(String(16))  # None: the tender's marking

    tender: Mapped[Tender] = relationship(back_populates="lots")
    items: Mapped[list[Item]] = relationship(
        back_populates="lot", order_by="Item.position", cascade="all, delete-orphan", lazy="select"
    )


class Item(Base):
    """A line of what is bought: CPV code, optional NATO Stock Number, unit, quantity, delivery."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(1000))
    cpv: Mapped[str] = mapped_column(String(10))
    nsn: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    delivery_region: Mapped[str | None] = mapped_column(String(120))
    delivery_locality: Mapped[str | None] = mapped_column(String(120))
    delivery_address: Mapped[str | None] = mapped_column(String(300))
    delivery_date: Mapped[date | None]
    marking: Mapped[str | None] = mapped_column(String(16))  # None: the lot's marking

    tender: Mapped[Tender] = relationship(back_populates="items")
    lot: Mapped[Lot] = relationship(back_populates="items")


class Enquiry(Base):
    """A supplier's question and the buyer's public answer."""

    __tablename__ = "enquiries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str | None] = mapped_column(String(32))
    author_organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    author_user_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(32))


class Invitation(Base):
    """A supplier invited to bid where the procedure restricts bidders (shortlisted candidates, framework parties)."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_tender_supplier", "tender_id", "supplier_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    invited_at: Mapped[datetime]
    basis: Mapped[str] = mapped_column(String(24))  # "prequalification" | "framework"

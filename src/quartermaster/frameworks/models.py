"""Framework agreements, their parties and catalogue, call-offs, and the framework state machine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.actors import Role
from quartermaster.db.base import Base, Quantity, new_id
from quartermaster.statemachine import StateMachine, t

B, A, SYS = Role.BUYER, Role.APPROVER, Role.SYSTEM

NONE, ACTIVE, EXPIRED, TERMINATED = "none", "active", "expired", "terminated"

FRAMEWORK_MACHINE = StateMachine(
    "framework",
    (NONE, ACTIVE, EXPIRED, TERMINATED),
    [
        t("conclude_framework", [NONE], [ACTIVE], "FrameworkConcluded", A),
        t("place_call_off", [ACTIVE], [ACTIVE], "CallOffPlaced", B, A),
        t("terminate_framework", [ACTIVE], [TERMINATED], "FrameworkTerminated", A),
        t("expire_framework", [ACTIVE], [EXPIRED], "FrameworkExpired", SYS),
    ],
)

DIRECT_ORDER, MINI_COMPETITION = "direct_order", "mini_competition"

# Why a direct order may pass over the party with the lowest catalogue price (Directive 2009/81/EC art. 29(4)
# lets call-offs follow the framework's own terms; these are the Quartermaster defaults for those terms, check).
DIRECT_ORDER_REASONS: tuple[str, ...] = (
    "only_party_able_to_deliver_in_time",
    "compatibility_with_existing_equipment",
)


class Framework(Base):
    """A framework agreement concluded from an awarded framework tender; call-offs are placed against it."""

    __tablename__ = "frameworks"
    __table_args__ = (Index("ix_frameworks_status_end", "status", "end"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), unique=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    rulebook_version: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime]
    end: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    max_value: Mapped[Decimal]
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    parties: Mapped[list[FrameworkParty]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by=lambda: [FrameworkParty.position, FrameworkParty.lot_id, FrameworkParty.supplier_id],
    )
    catalogue: Mapped[list[CatalogueItem]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by=lambda: [CatalogueItem.position, CatalogueItem.supplier_id],
    )

    __mapper_args__ = {"version_id_col": version}  # SQLAlchemy's optimistic lock


class FrameworkParty(Base):
    """A supplier awarded a place on a lot of the framework, with its rank among that lot's parties (1 = best)."""

    __tablename__ = "framework_parties"
    __table_args__ = (Index("ix_framework_parties_framework_award", "framework_id", "award_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    award_id: Mapped[str] = mapped_column(ForeignKey("awards.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    position: Mapped[int] = mapped_column(Integer)


class CatalogueItem(Base):
    """What one party supplies under the framework: a tender item at the party's unit price, up to a quantity."""

    __tablename__ = "catalogue_items"
    __table_args__ = (
        Index("ix_catalogue_items_framework_supplier_item", "framework_id", "supplier_id", "item_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    position: Mapped[int] = mapped_column(Integer)  # the tender item's position, so the catalogue reads in order
    description: Mapped[str] = mapped_column(String(1000))
    cpv: Mapped[str] = mapped_column(String(10))
    nsn: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    max_quantity: Mapped[Decimal] = mapped_column(Quantity())


class CallOff(Base):
    """An order under the framework: a direct order (a contract at catalogue prices) or a mini-competition."""

    __tablename__ = "call_offs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), index=True)
    method: Mapped[str] = mapped_column(String(24))
    ordered_by: Mapped[str] = mapped_column(String(32))
    ordering_unit: Mapped[str] = mapped_column(String(300))  # the military unit that orders
    receiver: Mapped[str] = mapped_column(String(300))  # who receives and accepts the delivery
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    reason: Mapped[str | None] = mapped_column(String(48))  # why not the cheapest party (direct orders)
    value_amount: Mapped[Decimal]  # direct order: the contract value; mini-competition: the ceiling reserved
    currency: Mapped[str] = mapped_column(String(3))
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"))
    tender_id: Mapped[str | None] = mapped_column(ForeignKey("tenders.id"))
    created_at: Mapped[datetime]

    lines: Mapped[list[CallOffLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CallOffLine.position"
    )


class CallOffLine(Base):
    """A quantity of one framework item ordered by a call-off, at the price it was ordered at (if known)."""

    __tablename__ = "call_off_lines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    call_off_id: Mapped[str] = mapped_column(ForeignKey("call_offs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal]  # direct order: the catalogue price; mini-competition: the highest party price

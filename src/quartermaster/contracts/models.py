"""Contract, contract items, amendments, deliveries and payments, with their state machines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.actors import Role
from quartermaster.db.base import Base, Quantity, new_id
from quartermaster.statemachine import StateMachine, t

B, A, S, SYS = Role.BUYER, Role.APPROVER, Role.SUPPLIER, Role.SYSTEM

PENDING, ACTIVE, COMPLETE, TERMINATED, CANCELLED = "pending", "active", "complete", "terminated", "cancelled"

CONTRACT_MACHINE = StateMachine(
    "contract",
    (PENDING, ACTIVE, COMPLETE, TERMINATED, CANCELLED),
    [
        t("set_unit_prices", [PENDING], [PENDING], "ContractUnitPricesSet", S),
        t("sign_contract", [PENDING], [PENDING, ACTIVE], "ContractSigned", A, S),
        t("amend_contract", [ACTIVE], [ACTIVE], "ContractAmended", A),
        t("record_delivery", [ACTIVE], [ACTIVE], "DeliveryRecorded", S),
        t("record_payment", [ACTIVE, COMPLETE], [ACTIVE, COMPLETE], "PaymentRecorded", B, A),
        t("complete_contract", [ACTIVE], [COMPLETE], "ContractCompleted", A),
        t("terminate_contract", [ACTIVE], [TERMINATED], "ContractTerminated", A),
        t("cancel_contract", [PENDING], [CANCELLED], "ContractCancelled", A, SYS),
    ],
)

DELIVERY_PENDING, DELIVERY_ACCEPTED, DELIVERY_REJECTED = "pending", "accepted", "rejected"

DELIVERY_MACHINE = StateMachine(
    "delivery",
    ("none", DELIVERY_PENDING, DELIVERY_ACCEPTED, DELIVERY_REJECTED),
    [
        t("record_delivery", ["none"], [DELIVERY_PENDING], "DeliveryRecorded", S),
        t("accept_delivery", [DELIVERY_PENDING], [DELIVERY_ACCEPTED], "DeliveryAccepted", B),
        t("reject_delivery", [DELIVERY_PENDING], [DELIVERY_REJECTED], "DeliveryRejected", B),
    ],
)


class Contract(Base):
    """A contract between the buyer and a supplier, from an award or a framework call-off."""

    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str | None] = mapped_column(ForeignKey("tenders.id"), index=True)
    award_id: Mapped[str | None] = mapped_column(String(32), index=True)
    lot_id: Mapped[str | None] = mapped_column(String(32))
    framework_id: Mapped[str | None] = mapped_column(String(32), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    value_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    not_before: Mapped[datetime | None]  # end of the standstill period: no signature before it
    delivery_due: Mapped[datetime | None]
    buyer_signed_by: Mapped[str | None] = mapped_column(String(32))
    buyer_signed_at: Mapped[datetime | None]
    supplier_signed_by: Mapped[str | None] = mapped_column(String(32))
    supplier_signed_at: Mapped[datetime | None]
    date_signed: Mapped[datetime | None]
    signed_value_amount: Mapped[Decimal | None]  # the value when both sides signed (amendments never change it)
    status_reason: Mapped[str | None] = mapped_column(Text)
    marking: Mapped[str | None] = mapped_column(String(16))  # None: the marking of its lot and tender
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    items: Mapped[list[ContractItem]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", lazy="selectin", order_by="ContractItem.position"
    )

    __mapper_args__ = {"version_id_col": version}


class ContractItem(Base):
    """A line of the contract with its agreed unit price."""

    __tablename__ = "contract_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str | None] = mapped_column(String(32))  # the tender item it fulfils
    description: Mapped[str] = mapped_column(String(1000))
    cpv: Mapped[str] = mapped_column(String(10))
    nsn: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal]
    # The unit price when both sides signed. Market-price amendments are capped against it, not against the
    # current price, so repeated amendments cannot ratchet past the cap (see amendment_rules).
    original_unit_price: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))

    contract: Mapped[Contract] = relationship(back_populates="items")


class Amendment(Base):
    """A change to an active contract, with a rationale from the closed list."""

    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_contract_number", "contract_id", "number", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the contract
    rationale: Mapped[str] = mapped_column(String(48))
    description: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # what was asked for
    before: Mapped[dict[str, Any]] = mapped_column(JSON)  # the terms it replaced: items, value, delivery_due
    after: Mapped[dict[str, Any]] = mapped_column(JSON)  # the terms it set
    value_before: Mapped[Decimal]
    value_after: Mapped[Decimal]
    amended_at: Mapped[datetime]
    amended_by: Mapped[str] = mapped_column(String(32))


class Delivery(Base):
    """Goods or services handed over under a contract, awaiting the buyer's acceptance."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_contract_number", "contract_id", "number", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the contract
    contract_item_id: Mapped[str] = mapped_column(ForeignKey("contract_items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    delivered_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    reported_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=DELIVERY_PENDING)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)


class Payment(Base):
    """Money paid to the supplier under a contract."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_contract_number", "contract_id", "number", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the contract
    delivery_id: Mapped[str | None] = mapped_column(ForeignKey("deliveries.id"))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime]
    reference: Mapped[str | None] = mapped_column(String(120))
    recorded_by: Mapped[str] = mapped_column(String(32))

"""Contract I/O: command bodies and the read models of contracts, amendments, deliveries and payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from quartermaster.contracts.amendment_rules import GROUNDS
from quartermaster.contracts.models import Amendment, Contract, ContractItem, Delivery, Payment
from quartermaster.schema_base import AwareDatetime, Input, MoneyIO, Output, ShortText
from quartermaster.types import MarkingName

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]
QuantityIn = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=3)]


def quantity_text(value: Decimal) -> str:
    """A quantity as plain decimal text without trailing zeros ("1000", "2.5"), the same on every engine."""
    return format(value.normalize(), "f")


# PostgreSQL returns NUMERIC(20, 3) as 1000.000 where SQLite returns 1000: print both the same way.
QuantityOut = Annotated[Decimal, PlainSerializer(quantity_text, return_type=str, when_used="json")]


def _ground(value: str) -> str:
    if value not in GROUNDS:
        raise ValueError(f"must be one of {sorted(GROUNDS)}")
    return value


Rationale = Annotated[str, AfterValidator(_ground), Field(json_schema_extra={"enum": sorted(GROUNDS)})]


class UnitPriceIn(Input):
    """The agreed price of one unit of a contract line."""

    contract_item_id: Id
    unit_price: MoneyIO


class UnitPricesIn(Input):
    """Unit prices for every line of a pending contract; they must add up to the contract value exactly."""

    items: list[UnitPriceIn] = Field(min_length=1, max_length=1000)


class ItemChangeIn(Input):
    """A new unit price and/or quantity for one contract line."""

    contract_item_id: Id
    unit_price: MoneyIO | None = None
    quantity: QuantityIn | None = None


class AmendmentChangesIn(Input):
    """The terms an amendment changes."""

    items: list[ItemChangeIn] = Field(default_factory=list, max_length=1000)
    delivery_due: AwareDatetime | None = None


class AmendmentIn(Input):
    """An amendment of a signed contract on a ground from the closed list."""

    rationale: Rationale
    description: Reason
    changes: AmendmentChangesIn = Field(default_factory=AmendmentChangesIn)


class DeliveryIn(Input):
    """A supplier's report that (part of) a line was handed over."""

    contract_item_id: Id
    quantity: Annotated[Decimal, Field(gt=0, le=Decimal("1e12"), max_digits=16, decimal_places=3)]
    delivered_at: AwareDatetime
    location: ShortText | None = None


class AcceptIn(Input):
    """The buyer's acceptance, with an optional note."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None


class ReasonIn(Input):
    """A decision that must be explained (rejection, termination)."""

    reason: Reason


class PaymentIn(Input):
    """Money paid to the supplier, optionally for one accepted delivery."""

    amount: MoneyIO
    paid_at: AwareDatetime
    delivery_id: Id | None = None
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None


class ContractItemRead(Output):
    """A contract line."""

    id: str
    position: int
    item_id: str | None
    description: str
    cpv: str
    nsn: str | None
    unit: str
    quantity: QuantityOut
    unit_price: MoneyIO
    original_unit_price: MoneyIO | None


class ContractRead(Output):
    """A contract with its lines, signatures and the commands its state allows."""

    id: str
    tender_id: str | None
    award_id: str | None
    lot_id: str | None
    framework_id: str | None
    buyer_id: str
    supplier_id: str
    title: str
    status: str
    value: MoneyIO
    signed_value: MoneyIO | None
    not_before: datetime | None
    delivery_due: datetime | None
    buyer_signed_by: str | None
    buyer_signed_at: datetime | None
    supplier_signed_by: str | None
    supplier_signed_at: datetime | None
    date_signed: datetime | None
    status_reason: str | None
    marking: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    items: list[ContractItemRead]
    allowed_commands: list[str]


class ContractMarkingIn(Input):
    """A higher security marking for a contract (a marking is never lowered: that is declassification)."""

    marking: MarkingName


class AmendmentRead(Output):
    """An amendment with the terms before and after."""

    id: str
    contract_id: str
    number: int
    rationale: str
    description: str
    changes: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    value_before: MoneyIO
    value_after: MoneyIO
    amended_at: datetime
    amended_by: str


class DeliveryRead(Output):
    """A delivery and the buyer's decision on it."""

    id: str
    contract_id: str
    number: int
    contract_item_id: str
    quantity: QuantityOut
    delivered_at: datetime
    location: str | None
    reported_by: str
    status: str
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None


class PaymentRead(Output):
    """A recorded payment."""

    id: str
    contract_id: str
    number: int
    delivery_id: str | None
    amount: MoneyIO
    paid_at: datetime
    reference: str | None
    recorded_by: str


def _money(amount: Decimal | None, currency: str) -> MoneyIO | None:
    return None if amount is None else MoneyIO.of(amount, currency)


def item_read(i: ContractItem) -> ContractItemRead:
    """ContractItemRead from a row."""
    return ContractItemRead(
        id=i.id,
        position=i.position,
        item_id=i.item_id,
        description=i.description,
        cpv=i.cpv,
        nsn=i.nsn,
        unit=i.unit,
        quantity=i.quantity,
        unit_price=MoneyIO.of(i.unit_price, i.currency),
        original_unit_price=_money(i.original_unit_price, i.currency),
    )


def contract_read(c: Contract, allowed: list[str]) -> ContractRead:
    """ContractRead from a row and the commands its state allows."""
    return ContractRead(
        id=c.id,
        tender_id=c.tender_id,
        award_id=c.award_id,
        lot_id=c.lot_id,
        framework_id=c.framework_id,
        buyer_id=c.buyer_id,
        supplier_id=c.supplier_id,
        title=c.title,
        status=c.status,
        value=MoneyIO.of(c.value_amount, c.currency),
        signed_value=_money(c.signed_value_amount, c.currency),
        not_before=c.not_before,
        delivery_due=c.delivery_due,
        buyer_signed_by=c.buyer_signed_by,
        buyer_signed_at=c.buyer_signed_at,
        supplier_signed_by=c.supplier_signed_by,
        supplier_signed_at=c.supplier_signed_at,
        date_signed=c.date_signed,
        status_reason=c.status_reason,
        marking=c.marking,
        created_at=c.created_at,
        updated_at=c.updated_at,
        version=c.version,
        items=[item_read(i) for i in c.items],
        allowed_commands=allowed,
    )


def amendment_read(a: Amendment, currency: str) -> AmendmentRead:
    """AmendmentRead from a row (amounts in the contract's currency)."""
    return AmendmentRead(
        id=a.id,
        contract_id=a.contract_id,
        number=a.number,
        rationale=a.rationale,
        description=a.description,
        changes=a.changes,
        before=a.before,
        after=a.after,
        value_before=MoneyIO.of(a.value_before, currency),
        value_after=MoneyIO.of(a.value_after, currency),
        amended_at=a.amended_at,
        amended_by=a.amended_by,
    )


def delivery_read(d: Delivery) -> DeliveryRead:
    """DeliveryRead from a row."""
    return DeliveryRead.model_validate(d)


def payment_read(p: Payment) -> PaymentRead:
    """PaymentRead from a row."""
    return PaymentRead(
        id=p.id,
        contract_id=p.contract_id,
        number=p.number,
        delivery_id=p.delivery_id,
        amount=MoneyIO.of(p.amount, p.currency),
        paid_at=p.paid_at,
        reference=p.reference,
        recorded_by=p.recorded_by,
    )

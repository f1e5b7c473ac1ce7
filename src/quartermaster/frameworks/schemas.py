"""Framework I/O: concluding, call-off bodies, and FrameworkRead / FrameworkDetail / CallOffRead."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quartermaster.schema_base import AwareDatetime, Input, MoneyIO, Output, ShortText

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Method = Literal["direct_order", "mini_competition"]
Reason = Literal["only_party_able_to_deliver_in_time", "compatibility_with_existing_equipment"]


class ConcludeFramework(Input):
    """When the framework agreement ends (its start is the moment it is concluded)."""

    end: AwareDatetime


class TerminateFramework(Input):
    """Why the framework is ended early."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class CallOffLineIn(Input):
    """A quantity of one framework item (named by its tender item id)."""

    item_id: Id
    quantity: Decimal = Field(gt=0, le=Decimal("1e12"), max_digits=16, decimal_places=3)


class CallOffCreate(Input):
    """An order under the framework: a direct order to one party, or a mini-competition among the parties."""

    method: Method
    ordering_unit: ShortText
    receiver: ShortText
    lines: list[CallOffLineIn] = Field(min_length=1, max_length=200)
    supplier_id: Id | None = None
    reason: Reason | None = None
    delivery_due: AwareDatetime | None = None


class PartyRead(Output):
    """A framework party on one lot."""

    supplier_id: str
    award_id: str
    lot_id: str
    position: int


class CatalogueItemRead(Output):
    """One party's catalogue line, with what is still available of the item under the framework."""

    id: str
    supplier_id: str
    lot_id: str
    item_id: str
    description: str
    cpv: str
    nsn: str | None
    unit: str
    unit_price: MoneyIO
    max_quantity: Decimal
    remaining_quantity: Decimal


class FrameworkRead(Output):
    """A framework agreement as listed."""

    id: str
    tender_id: str
    buyer_id: str
    title: str
    status: str
    rulebook_version: str
    start: datetime
    end: datetime
    max_value: MoneyIO
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class FrameworkDetail(FrameworkRead):
    """A framework with its parties, catalogue, the value still available and the commands its state allows."""

    called_off_value: MoneyIO
    remaining_value: MoneyIO
    parties: list[PartyRead]
    catalogue: list[CatalogueItemRead]
    allowed_commands: list[str]


class CallOffLineRead(Output):
    """A line of a call-off; quantities are withheld from the public."""

    item_id: str
    quantity: Decimal | None
    unit_price: MoneyIO


class CallOffRead(Output):
    """A call-off. Who ordered, who receives, quantities and totals are shown to the buyer side, auditors and
    the supplier it is addressed to; the public sees that the order exists, its items and unit prices."""

    id: str
    framework_id: str
    method: str
    supplier_id: str | None
    reason: str | None
    contract_id: str | None
    tender_id: str | None
    created_at: datetime
    ordering_unit: str | None
    receiver: str | None
    value: MoneyIO | None
    lines: list[CallOffLineRead]


def framework_fields(fw: Any) -> dict[str, Any]:
    """The FrameworkRead fields of a Framework row."""
    names = (
        "id",
        "tender_id",
        "buyer_id",
        "title",
        "status",
        "rulebook_version",
        "start",
        "end",
        "status_reason",
        "created_at",
        "updated_at",
        "version",
    )
    return {**{n: getattr(fw, n) for n in names}, "max_value": MoneyIO.of(fw.max_value, fw.currency)}


def framework_read(fw: Any) -> FrameworkRead:
    """FrameworkRead from a Framework row."""
    return FrameworkRead(**framework_fields(fw))


def framework_detail(
    fw: Any, *, called_off: Decimal, remaining: dict[str, Decimal], allowed: list[str]
) -> FrameworkDetail:
    """FrameworkDetail from a Framework row, the value called off and the remaining quantity per item; the
    catalogue reads item by item, each item's parties best-ranked first."""
    rank = {(p.lot_id, p.supplier_id): p.position for p in fw.parties}
    parties = sorted(fw.parties, key=lambda p: (p.position, p.lot_id, p.supplier_id))
    catalogue = sorted(fw.catalogue, key=lambda c: (c.position, rank.get((c.lot_id, c.supplier_id), 0)))
    return FrameworkDetail(
        **framework_fields(fw),
        called_off_value=MoneyIO.of(called_off, fw.currency),
        remaining_value=MoneyIO.of(max(fw.max_value - called_off, Decimal(0)), fw.currency),
        parties=[PartyRead.model_validate(p) for p in parties],
        catalogue=[
            CatalogueItemRead(
                id=c.id,
                supplier_id=c.supplier_id,
                lot_id=c.lot_id,
                item_id=c.item_id,
                description=c.description,
                cpv=c.cpv,
                nsn=c.nsn,
                unit=c.unit,
                unit_price=MoneyIO.of(c.unit_price, c.currency),
                max_quantity=c.max_quantity,
                remaining_quantity=remaining.get(c.item_id, c.max_quantity),
            )
            for c in catalogue
        ],
        allowed_commands=allowed,
    )


def call_off_read(co: Any, *, full: bool) -> CallOffRead:
    """CallOffRead from a CallOff row; ``full`` is False for callers who may not see who, where and how many."""
    return CallOffRead(
        id=co.id,
        framework_id=co.framework_id,
        method=co.method,
        supplier_id=co.supplier_id,
        reason=co.reason,
        contract_id=co.contract_id,
        tender_id=co.tender_id,
        created_at=co.created_at,
        ordering_unit=co.ordering_unit if full else None,
        receiver=co.receiver if full else None,
        value=MoneyIO.of(co.value_amount, co.currency) if full else None,
        lines=[
            CallOffLineRead(
                item_id=ln.item_id,
                quantity=ln.quantity if full else None,
                unit_price=MoneyIO.of(ln.unit_price, co.currency),
            )
            for ln in co.lines
        ],
    )

"""Contract use cases. ``create_contract`` is called by awards and framework call-offs in their transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.contracts.models import CANCELLED, CONTRACT_MACHINE, PENDING, Contract, ContractItem
from quartermaster.events.service import record_event


@dataclass(frozen=True)
class ItemTerms:
    """What a contract line fulfils, taken from the tender item or the framework catalogue."""

    item_id: str | None
    description: str
    cpv: str
    nsn: str | None
    unit: str
    quantity: Decimal
    unit_price: Decimal | None = None  # None: allocate from the total


def allocate_unit_prices(total: Decimal, items: Sequence[ItemTerms]) -> list[Decimal]:
    """Unit prices that reproduce ``total``: given prices are kept; the rest share what remains equally per line.

    The supplier can set exact unit prices before signing (``set_unit_prices``); this is only the opening draft.
    """
    known = sum((i.unit_price * i.quantity for i in items if i.unit_price is not None), Decimal(0))
    open_lines = [i for i in items if i.unit_price is None]
    share = (total - known) / len(open_lines) if open_lines else Decimal(0)
    cent = Decimal("0.01")
    return [
        i.unit_price if i.unit_price is not None else (share / i.quantity).quantize(cent, rounding=ROUND_HALF_EVEN)
        for i in items
    ]


def create_contract(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    buyer_id: str,
    supplier_id: str,
    title: str,
    value: Decimal,
    currency: str,
    items: Sequence[ItemTerms],
    tender_id: str | None = None,
    award_id: str | None = None,
    lot_id: str | None = None,
    framework_id: str | None = None,
    not_before: datetime | None = None,
    delivery_due: datetime | None = None,
) -> Contract:
    """Create a pending contract (awaiting both signatures) in the caller's transaction."""
    prices = allocate_unit_prices(value, items)
    contract = Contract(
        tender_id=tender_id,
        award_id=award_id,
        lot_id=lot_id,
        framework_id=framework_id,
        buyer_id=buyer_id,
        supplier_id=supplier_id,
        title=title,
        status=PENDING,
        value_amount=value,
        currency=currency,
        not_before=not_before,
        delivery_due=delivery_due,
        created_at=now,
        updated_at=now,
        items=[
            ContractItem(
                position=pos,
                item_id=i.item_id,
                description=i.description,
                cpv=i.cpv,
                nsn=i.nsn,
                unit=i.unit,
                quantity=i.quantity,
                unit_price=price,
                currency=currency,
            )
            for pos, (i, price) in enumerate(zip(items, prices, strict=True))
        ],
    )
    session.add(contract)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="create_contract",
        event_type="ContractCreated",
        object_type="contract",
        object_id=contract.id,
        process_id=tender_id or framework_id,
        before=None,
        after=PENDING,
        payload={
            "award_id": award_id,
            "supplier_id": supplier_id,
            "value": {"amount": value, "currency": currency},
            "not_before": not_before,
        },
    )
    return contract


def cancel_contracts_of_award(session: Session, *, actor: Actor, now: datetime, award_id: str, reason: str) -> None:
    """Cancel the unsigned contract of an award that was cancelled (a signed one cannot be undone this way)."""
    rows = session.scalars(select(Contract).where(Contract.award_id == award_id)).all()
    for contract in rows:
        CONTRACT_MACHINE.check_state(obj_id=contract.id, state=contract.status, command="cancel_contract")
        before, contract.status = contract.status, CANCELLED
        contract.status_reason, contract.updated_at = reason, now
        record_event(
            session,
            actor=actor,
            now=now,
            command="cancel_contract",
            event_type="ContractCancelled",
            object_type="contract",
            object_id=contract.id,
            process_id=contract.tender_id or contract.framework_id,
            before=before,
            after=CANCELLED,
            payload={"reason": reason, "award_id": award_id},
        )

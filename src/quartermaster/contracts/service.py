"""Contract use cases: creation (by awards and framework call-offs), unit prices, signatures, reads.

Amendments live in ``amendments``; deliveries, payments, completion and termination in ``implementation``.
Every command loads the contract ``with_for_update()``, checks role and state through ``CONTRACT_MACHINE``, checks
the party, and records an event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.complaints import service as complaints
from quartermaster.contracts.models import (
    ACTIVE,
    CANCELLED,
    CONTRACT_MACHINE,
    PENDING,
    Amendment,
    Contract,
    ContractItem,
)
from quartermaster.contracts.schemas import UnitPricesIn
from quartermaster.decisions.schemas import SignatureIn
from quartermaster.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import record_event, record_transition
from quartermaster.identity import signatures
from quartermaster.tenders import access
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.types import marking_rank

CENT = Decimal("0.01")
Side = Literal["buyer", "supplier"]


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
    return [
        i.unit_price if i.unit_price is not None else (share / i.quantity).quantize(CENT, rounding=ROUND_HALF_EVEN)
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
    marking: str | None = None,
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
        marking=marking,
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


# --- loading, parties, events ----------------------------------------------------------------------------------


def load_contract(session: Session, contract_id: str, *, for_update: bool = False) -> Contract:
    """A contract by id (NotFound otherwise); ``for_update`` takes its row lock and reloads it."""
    stmt = select(Contract).where(Contract.id == contract_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    contract = session.scalar(stmt)
    if contract is None:
        raise NotFound("contract not found", code="contract.not_found")
    return contract


def require_party(actor: Actor, contract: Contract, side: Side, *roles: Role) -> None:
    """PermissionDenied unless the actor holds one of ``roles`` in the contract's ``side`` organization."""
    if actor.role not in roles:
        raise PermissionDenied(
            f"role '{actor.role}' may not do this", code="auth.role_forbidden", allowed_roles=[r.value for r in roles]
        )
    if actor.organization_id != (contract.buyer_id if side == "buyer" else contract.supplier_id):
        raise PermissionDenied(f"only the contract's {side} may do this", code="auth.not_party", side=side)


def classify_contract(session: Session, *, actor: Actor, now: datetime, contract_id: str, marking: str) -> Contract:
    """The buyer's approver raises a contract's security marking, up to their own clearance.

    A marking is only ever raised here: opening a contract to the public is declassification (the tender's
    ``declassify_on``), which the disclosure policy and the transparency log handle. From this commit on, the
    contract's releases and its operational views follow the new marking; what was published before stays
    published (the log is append-only), which is why classifying belongs before the award is announced.
    """
    contract = load_contract(session, contract_id, for_update=True)
    require_party(actor, contract, "buyer", Role.APPROVER)
    if marking_rank(actor.clearance) < marking_rank(marking):
        raise PermissionDenied(
            f"your clearance ({actor.clearance}) is below '{marking}'", code="auth.clearance_too_low", marking=marking
        )
    current = contract.marking or "public"
    if marking_rank(marking) <= marking_rank(current):
        raise RuleViolation(
            f"the contract is already marked '{current}'; a marking can only be raised (opening is declassification)",
            code="contract.marking_not_raised",
            current=current,
        )
    contract.marking, contract.updated_at = marking, now
    record_event(
        session,
        actor=actor,
        now=now,
        command="classify_contract",
        event_type="ContractClassified",
        object_type="contract",
        object_id=contract.id,
        process_id=contract.tender_id or contract.framework_id,
        before=contract.status,
        after=contract.status,
        payload={"marking": marking, "previous": current},
    )
    session.flush()
    return contract


def contract_event(
    session: Session,
    *,
    contract: Contract,
    actor: Actor,
    now: datetime,
    command: str,
    before: str,
    payload: dict[str, Any],
) -> None:
    """Touch the contract (its version moves) and append the command's event."""
    contract.updated_at = now
    record_transition(
        session,
        CONTRACT_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=contract.id,
        process_id=contract.tender_id or contract.framework_id,
        before=before,
        after=contract.status,
        payload=payload,
    )
    session.flush()  # the returned contract then carries its new version (the ETag callers hand out)


def allowed_commands(contract: Contract) -> list[str]:
    """Commands the contract's state allows (before role and party checks)."""
    return CONTRACT_MACHINE.allowed(contract.status)


def lines_total(contract: Contract) -> Decimal:
    """Sum of quantity × unit price over the contract's lines."""
    return sum((i.quantity * i.unit_price for i in contract.items), Decimal(0))


# --- before signature ------------------------------------------------------------------------------------------


def set_unit_prices(session: Session, *, actor: Actor, now: datetime, contract_id: str, spec: UnitPricesIn) -> Contract:
    """The supplier prices every line before anyone signs; the lines must add up to the contract value exactly."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="set_unit_prices", actor=actor)
    require_party(actor, contract, "supplier", Role.SUPPLIER)
    if contract.buyer_signed_at is not None or contract.supplier_signed_at is not None:
        raise Conflict("unit prices are fixed once a side has signed", code="contract.already_signed")
    items = {i.id: i for i in contract.items}
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, line in enumerate(spec.items):
        if line.contract_item_id not in items:
            errors.append({"field": f"items.{n}.contract_item_id", "message": "not a line of this contract"})
        elif line.contract_item_id in seen:
            errors.append({"field": f"items.{n}.contract_item_id", "message": "priced twice"})
        seen.add(line.contract_item_id)
        if line.unit_price.currency != contract.currency:
            errors.append({"field": f"items.{n}.unit_price.currency", "message": f"must be {contract.currency}"})
    if missing := sorted(set(items) - seen):
        errors.append({"field": "items", "message": f"every line needs a price; missing {missing}"})
    if errors:
        raise ValidationFailed("the unit prices do not fit the contract", errors=errors)
    prices = {line.contract_item_id: line.unit_price.amount for line in spec.items}
    total = sum((items[k].quantity * p for k, p in prices.items()), Decimal(0))
    if total != contract.value_amount:
        raise ValidationFailed(
            f"the lines add up to {total}, not the contract value {contract.value_amount}",
            code="contract.unit_prices_mismatch",
            errors=[
                {
                    "field": "items",
                    "message": f"sum of quantity × unit_price is {total}; it must equal {contract.value_amount}",
                }
            ],
        )
    before = {k: i.unit_price for k, i in items.items()}
    for k, price in prices.items():
        items[k].unit_price = price
    contract_event(
        session,
        contract=contract,
        actor=actor,
        now=now,
        command="set_unit_prices",
        before=PENDING,
        payload={"unit_prices": prices, "before": before},
    )
    return contract


def _plain(amount: Decimal) -> str:
    """A decimal as the same string on every engine (no exponent, no trailing zeros)."""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def signing_side(actor: Actor) -> Side:
    """The side an actor signs for: the buyer's approver, or the supplier."""
    return "buyer" if actor.role is Role.APPROVER else "supplier"


def signing_terms(contract: Contract, side: Side) -> dict[str, Any]:
    """What a party's signature of a contract covers: its side, the parties, the value and every priced line."""
    return {
        "side": side,
        "buyer_id": contract.buyer_id,
        "supplier_id": contract.supplier_id,
        "title": contract.title,
        "value": {"amount": _plain(contract.value_amount), "currency": contract.currency},
        "lines": [
            {
                "id": line.id,
                "item_id": line.item_id,
                "description": line.description,
                "unit": line.unit,
                "quantity": _plain(line.quantity),
                "unit_price": _plain(line.unit_price),
            }
            for line in sorted(contract.items, key=lambda line: line.position)
        ],
    }


def draft_signature(
    session: Session, *, actor: Actor, contract_id: str
) -> tuple[str | None, tuple[dict[str, Any], bytes, str | None]]:
    """(process id, draft) of the acting party signing the contract as it now stands."""
    contract = load_contract(session, contract_id)
    process_id = contract.tender_id or contract.framework_id
    made = signatures.draft(
        session,
        actor=actor,
        command="sign_contract",
        object_id=contract.id,
        process_id=process_id,
        content=signing_terms(contract, signing_side(actor)),
    )
    return process_id, made


def sign_contract(
    session: Session, *, actor: Actor, now: datetime, contract_id: str, signature: SignatureIn | None = None
) -> Contract:
    """One side signs after the standstill; once both have, the contract is active and its lot complete.

    The signing person's signature covers ``signing_terms`` (required once they have enrolled a signing key).
    """
    peek = load_contract(session, contract_id)
    # Lock the tender before the contract: awards take the same order, so the two never deadlock.
    tender = tenders.get_tender(session, peek.tender_id, actor=actor, for_update=True) if peek.tender_id else None
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="sign_contract", actor=actor)
    side = signing_side(actor)
    require_party(actor, contract, side, Role.APPROVER if side == "buyer" else Role.SUPPLIER)
    if contract.not_before is not None and now < contract.not_before:
        raise RuleViolation(
            f"the standstill period runs until {contract.not_before.isoformat()}; "
            "the contract cannot be signed before then",
            code="contract.standstill",
            not_before=contract.not_before,
        )
    if contract.tender_id is not None and (
        held := complaints.blocking_complaints(session, tender_id=contract.tender_id, award_id=contract.award_id)
    ):
        raise Conflict(
            f"{len(held)} unresolved claim(s) or complaint(s) hold up this contract; it cannot be signed until each "
            "is decided, withdrawn or resolved",
            code="contract.complaint_pending",
            complaint_ids=held,
        )
    already = contract.buyer_signed_by if side == "buyer" else contract.supplier_signed_by
    if already is not None:
        raise Conflict(f"the {side} has already signed", code="contract.already_signed", side=side, signed_by=already)
    if (total := lines_total(contract)) != contract.value_amount:
        raise RuleViolation(
            f"the unit prices add up to {total}, not the contract value {contract.value_amount}; "
            "the supplier must set unit prices first",
            code="contract.unit_prices_mismatch",
        )
    signed = signatures.sign_off(
        session,
        actor=actor,
        command="sign_contract",
        object_id=contract.id,
        process_id=contract.tender_id or contract.framework_id,
        content=signing_terms(contract, side),
        signature=signature,
    )
    if side == "buyer":
        contract.buyer_signed_by, contract.buyer_signed_at = actor.user_id, now
    else:
        contract.supplier_signed_by, contract.supplier_signed_at = actor.user_id, now
    both = contract.buyer_signed_by is not None and contract.supplier_signed_by is not None
    if both:
        contract.status, contract.date_signed = ACTIVE, now
        contract.signed_value_amount = contract.value_amount
        for item in contract.items:
            item.original_unit_price = item.unit_price
    contract_event(
        session,
        contract=contract,
        actor=actor,
        now=now,
        command="sign_contract",
        before=PENDING,
        payload={"side": side, "signed_by": actor.user_id, "active": both, **signed},
    )
    if both and tender is not None and contract.lot_id is not None:
        lot = tender.lot(contract.lot_id)
        if lot is None:
            raise NotFound("lot not found", code="lot.not_found")
        tenders.transition_lot(
            session,
            tender=tender,
            lot=lot,
            command="complete_lot",
            target=tm.LOT_COMPLETE,
            actor=actor,
            now=now,
            payload={"contract_id": contract.id},
        )
        tenders.settle_tender(session, tender=tender, actor=actor, now=now)
    return contract


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFilter:
    """Filters of the contract list."""

    status: str | None = None
    buyer_id: str | None = None
    supplier_id: str | None = None
    tender_id: str | None = None


def get_contract(session: Session, *, actor: Actor | None, contract_id: str) -> Contract:
    """One contract. Contracts are public from creation: the award that drafts them is public."""
    return load_contract(session, contract_id)


def list_contracts(
    session: Session, *, actor: Actor | None, flt: ContractFilter, after: str | None, limit: int
) -> Sequence[Contract]:
    """Contracts in id order (keyset paging on id), filtered; classified processes only for those cleared for them."""
    stmt = select(Contract).order_by(Contract.id).limit(limit)
    if after:
        stmt = stmt.where(Contract.id > after)
    for column, value in (
        (Contract.status, flt.status),
        (Contract.buyer_id, flt.buyer_id),
        (Contract.supplier_id, flt.supplier_id),
        (Contract.tender_id, flt.tender_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    return session.scalars(stmt.where(access.visible_filter(actor, "contract"))).all()


def list_amendments(
    session: Session, *, actor: Actor | None, contract_id: str, after: int, limit: int
) -> Sequence[Amendment]:
    """Amendments of a contract in order, after number ``after``."""
    contract = load_contract(session, contract_id)
    return session.scalars(
        select(Amendment)
        .where(Amendment.contract_id == contract.id, Amendment.number > after)
        .order_by(Amendment.number)
        .limit(limit)
    ).all()

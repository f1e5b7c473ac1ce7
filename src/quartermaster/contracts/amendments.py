"""Amending a signed contract: the command, and the limits that deliveries and payments already set.

The lawful grounds and their price, quantity and total rules are data in ``amendment_rules`` (a pure module).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.contracts.amendment_rules import LineChange, check_amendment, total_of
from quartermaster.contracts.implementation import committed_quantities, paid_total
from quartermaster.contracts.models import ACTIVE, CONTRACT_MACHINE, Amendment, Contract, ContractItem
from quartermaster.contracts.schemas import AmendmentIn, quantity_text
from quartermaster.contracts.service import CENT, contract_event, load_contract, require_party
from quartermaster.errors import RuleViolation, ValidationFailed


def amend_contract(session: Session, *, actor: Actor, now: datetime, contract_id: str, spec: AmendmentIn) -> Amendment:
    """Change a signed contract's prices, quantities or delivery date on a lawful ground (amendment_rules)."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="amend_contract", actor=actor)
    require_party(actor, contract, "buyer", Role.APPROVER)
    items = {i.id: i for i in contract.items}
    where = _check_item_changes(contract, items, spec)
    new_price = {c.contract_item_id: c.unit_price.amount for c in spec.changes.items if c.unit_price}
    new_qty = {c.contract_item_id: c.quantity for c in spec.changes.items if c.quantity is not None}
    lines = {
        k: LineChange(
            original_unit_price=i.original_unit_price or i.unit_price,
            unit_price_before=i.unit_price,
            unit_price_after=new_price.get(k, i.unit_price),
            quantity_before=i.quantity,
            quantity_after=new_qty.get(k, i.quantity),
        )
        for k, i in items.items()
    }
    due_after = spec.changes.delivery_due if spec.changes.delivery_due is not None else contract.delivery_due
    errors = [
        {"field": _field(r.field, where), "message": r.message, "code": r.code}
        for r in check_amendment(spec.rationale, lines=lines, due_before=contract.delivery_due, due_after=due_after)
    ]
    new_total = total_of(lines, after=True)
    errors += _implementation_limits(session, contract, lines, new_total, where)
    if errors:
        raise RuleViolation(
            f"the amendment breaks the rules of '{spec.rationale}'", code=errors[0]["code"], errors=errors
        )
    new_total = new_total.quantize(CENT)  # exact (checked above); stored with the money scale
    before = _terms(contract)
    for k, ln in lines.items():
        items[k].unit_price, items[k].quantity = ln.unit_price_after, ln.quantity_after
    value_before, contract.value_amount, contract.delivery_due = contract.value_amount, new_total, due_after
    number = (session.scalar(select(func.max(Amendment.number)).where(Amendment.contract_id == contract.id)) or 0) + 1
    row = Amendment(
        contract_id=contract.id,
        number=number,
        rationale=spec.rationale,
        description=spec.description,
        changes=spec.changes.model_dump(mode="json"),
        before=before,
        after=_terms(contract),
        value_before=value_before,
        value_after=new_total,
        amended_at=now,
        amended_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    contract_event(
        session,
        contract=contract,
        actor=actor,
        now=now,
        command="amend_contract",
        before=ACTIVE,
        payload={
            "amendment_id": row.id,
            "number": number,
            "rationale": spec.rationale,
            "description": spec.description,
            "before": row.before,
            "after": row.after,
        },
    )
    return row


def _check_item_changes(contract: Contract, items: dict[str, ContractItem], spec: AmendmentIn) -> dict[str, int]:
    """Well-formedness of the changed lines; returns each changed line's index in the request."""
    errors: list[dict[str, str]] = []
    where: dict[str, int] = {}
    for n, change in enumerate(spec.changes.items):
        at = f"changes.items.{n}"
        if change.contract_item_id not in items:
            errors.append({"field": f"{at}.contract_item_id", "message": "not a line of this contract"})
        elif change.contract_item_id in where:
            errors.append({"field": f"{at}.contract_item_id", "message": "changed twice"})
        where.setdefault(change.contract_item_id, n)
        if change.unit_price is None and change.quantity is None:
            errors.append({"field": at, "message": "give a new unit_price, quantity or both"})
        if change.unit_price is not None and change.unit_price.currency != contract.currency:
            errors.append({"field": f"{at}.unit_price.currency", "message": f"must be {contract.currency}"})
        if change.unit_price is not None and change.unit_price.amount <= 0:
            errors.append({"field": f"{at}.unit_price.amount", "message": "must be positive"})
    if errors:
        raise ValidationFailed("the amendment names invalid changes", errors=errors)
    return where


def _implementation_limits(
    session: Session, contract: Contract, lines: dict[str, LineChange], new_total: Decimal, where: dict[str, int]
) -> list[dict[str, str]]:
    """What delivery and payment already fix: quantities not below what was delivered, total not below paid."""
    out: list[dict[str, str]] = []
    committed = committed_quantities(session, contract.id)
    for k, ln in lines.items():
        if ln.quantity_after < committed.get(k, Decimal(0)):
            out.append(
                {
                    "field": _field(f"{k}.quantity", where),
                    "code": "amendment.below_delivered",
                    "message": f"{quantity_text(committed[k])} are already delivered or awaiting acceptance",
                }
            )
    if new_total != new_total.quantize(CENT):
        out.append(
            {
                "field": "changes",
                "code": "amendment.total_not_exact",
                "message": f"the new total {new_total} is not a whole number of cents",
            }
        )
    if new_total < (paid := paid_total(session, contract.id)):
        out.append(
            {
                "field": "changes",
                "code": "amendment.below_paid",
                "message": f"the new total {new_total} is below the {paid} already paid",
            }
        )
    return out


def _field(key: str, where: dict[str, int]) -> str:
    item_id, _, attr = key.partition(".")
    if item_id in where:
        return f"changes.items.{where[item_id]}.{attr}"
    return {"delivery_due": "changes.delivery_due", "total": "changes"}.get(key, key)


def _terms(contract: Contract) -> dict[str, Any]:
    return {
        "value": str(contract.value_amount),
        "delivery_due": contract.delivery_due.isoformat() if contract.delivery_due else None,
        "items": {
            i.id: {"quantity": quantity_text(i.quantity), "unit_price": str(i.unit_price)} for i in contract.items
        },
    }

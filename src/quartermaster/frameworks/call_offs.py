"""Call-offs under a framework agreement: direct orders from the catalogue and mini-competitions among the parties.

What a framework still holds (quantity per item, value) is derived from the call-offs that still stand, so a
cancelled order gives back what it took without bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.codelists import CodeLists
from quartermaster.contracts import service as contracts
from quartermaster.contracts.models import CANCELLED as CONTRACT_CANCELLED
from quartermaster.contracts.models import Contract
from quartermaster.errors import PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.frameworks import models as m
from quartermaster.frameworks import service
from quartermaster.frameworks.models import FRAMEWORK_MACHINE, CallOff, CallOffLine, CatalogueItem, Framework
from quartermaster.frameworks.schemas import CallOffCreate
from quartermaster.rules import rulebook_version
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.tenders.schemas import TenderCreate

MINI_COMPETITION_PROCEDURE = "framework.mini-competition"


@dataclass
class Usage:
    """What the live call-offs of a framework have taken: value and quantity per tender item."""

    value: Decimal = Decimal(0)
    quantities: dict[str, Decimal] = field(default_factory=dict)

    def remaining(self, fw: Framework) -> dict[str, Decimal]:
        """Quantity still available per tender item."""
        caps = {c.item_id: c.max_quantity for c in fw.catalogue}
        return {item: cap - self.quantities.get(item, Decimal(0)) for item, cap in caps.items()}


def usage(session: Session, fw: Framework) -> Usage:
    """Sum the call-offs that still stand: a direct order whose contract was cancelled, or a mini-competition
    that was cancelled or failed, gives its quantities and value back to the framework."""
    rows = session.scalars(select(CallOff).where(CallOff.framework_id == fw.id)).all()
    contract_ids = [r.contract_id for r in rows if r.contract_id]
    tender_ids = [r.tender_id for r in rows if r.tender_id]
    dead: set[str] = set()
    if contract_ids:
        dead |= set(
            session.scalars(
                select(Contract.id).where(Contract.id.in_(contract_ids), Contract.status == CONTRACT_CANCELLED)
            ).all()
        )
    if tender_ids:
        dead |= set(
            session.scalars(
                select(Tender.id).where(Tender.id.in_(tender_ids), Tender.status.in_((tm.CANCELLED, tm.UNSUCCESSFUL)))
            ).all()
        )
    out = Usage()
    for row in rows:
        if (row.contract_id or row.tender_id) in dead:
            continue
        out.value += row.value_amount
        for line in row.lines:
            out.quantities[line.item_id] = out.quantities.get(line.item_id, Decimal(0)) + line.quantity
    return out


def list_call_offs(
    session: Session, *, framework_id: str, after: str | None, limit: int
) -> tuple[Framework, Sequence[CallOff]]:
    """Call-offs of a framework in keyset pages on id."""
    fw = service.get_framework(session, framework_id)
    stmt = select(CallOff).where(CallOff.framework_id == fw.id).order_by(CallOff.id).limit(limit)
    if after:
        stmt = stmt.where(CallOff.id > after)
    return fw, session.scalars(stmt).all()


def sees_call_off_details(actor: Actor | None, fw: Framework, call_off: CallOff) -> bool:
    """Who ordered, who receives and how many: the buyer side, auditors and the supplier addressed see it."""
    if actor is None:
        return False
    if actor.role is Role.AUDITOR or actor.is_system:
        return True
    if actor.role in tenders.BUYER_SIDE and actor.organization_id == fw.buyer_id:
        return True
    return actor.role is Role.SUPPLIER and actor.organization_id == call_off.supplier_id


# --- call-offs -----------------------------------------------------------------------------------------------


def place_call_off(
    session: Session, *, actor: Actor, now: datetime, framework_id: str, spec: CallOffCreate, lists: CodeLists
) -> CallOff:
    """Order under an active framework: a direct order becomes a pending contract at catalogue prices; a
    mini-competition becomes a draft tender among the framework's parties."""
    fw = service.get_framework(session, framework_id, for_update=True)
    FRAMEWORK_MACHINE.check(obj_id=fw.id, state=fw.status, command="place_call_off", actor=actor)
    service.require_buyer_staff(actor, fw, Role.BUYER, Role.APPROVER)
    if now >= fw.end:
        raise FRAMEWORK_MACHINE.refuse(
            obj_id=fw.id,
            state=fw.status,
            command="place_call_off",
            reason=f"the framework ended at {fw.end.isoformat()}",
        )
    methods = rulebook_version(fw.rulebook_version).procedure(service.FRAMEWORK).extra.get("call_off_methods")
    if isinstance(methods, tuple | list) and spec.method not in methods:
        raise RuleViolation(
            f"call-offs by '{spec.method}' are not allowed", code="framework.call_off_method", allowed=list(methods)
        )
    used = usage(session, fw)
    quantities = _check_lines(fw, spec, used)
    if spec.method == m.DIRECT_ORDER:
        call_off = _direct_order(session, fw, actor, now, spec, quantities, used)
    else:
        call_off = _mini_competition(session, fw, actor, now, spec, quantities, used, lists)
    fw.updated_at = now  # bumps the version: two call-offs racing for the last quantity cannot both pass
    session.add(call_off)
    session.flush()
    service.record(
        session,
        fw,
        actor,
        now,
        "place_call_off",
        fw.status,
        {
            "call_off_id": call_off.id,
            "method": call_off.method,
            "supplier_id": call_off.supplier_id,
            "reason": call_off.reason,
            "contract_id": call_off.contract_id,
            "tender_id": call_off.tender_id,
            "ordering_unit": call_off.ordering_unit,
            "receiver": call_off.receiver,
            "value": {"amount": call_off.value_amount, "currency": call_off.currency},
            "lines": [
                {"item_id": ln.item_id, "quantity": ln.quantity, "unit_price": ln.unit_price} for ln in call_off.lines
            ],
            "invited": invitees(fw, quantities) if call_off.tender_id else [],
        },
    )
    return call_off


def _check_lines(fw: Framework, spec: CallOffCreate, used: Usage) -> dict[str, Decimal]:
    """The requested quantity per item, each an item of the framework and within what remains of it."""
    known = {c.item_id for c in fw.catalogue}
    errors: list[dict[str, str]] = []
    quantities: dict[str, Decimal] = {}
    for i, line in enumerate(spec.lines):
        if line.item_id not in known:
            errors.append({"field": f"lines.{i}.item_id", "message": "not an item of this framework"})
        elif line.item_id in quantities:
            errors.append({"field": f"lines.{i}.item_id", "message": "item named twice"})
        quantities[line.item_id] = line.quantity
    if errors:
        raise ValidationFailed("the call-off's lines are invalid", errors=errors, code="call_off.invalid_lines")
    remaining = used.remaining(fw)
    over = {item: str(remaining[item]) for item, q in quantities.items() if q > remaining[item]}
    if over:
        raise RuleViolation(
            "the call-off exceeds the framework's remaining quantity",
            code="framework.quantity_exceeded",
            remaining=over,
        )
    return quantities


def _check_value(fw: Framework, value: Decimal, used: Usage) -> None:
    taken = used.value
    if taken + value > fw.max_value:
        raise RuleViolation(
            "the call-off exceeds the framework's maximum value",
            code="framework.value_exceeded",
            value=value,
            remaining_value=fw.max_value - taken,
            max_value=fw.max_value,
        )


def _offers(fw: Framework, items: Sequence[str]) -> dict[str, dict[str, CatalogueItem]]:
    """Per supplier, its catalogue lines for ``items`` — only suppliers that offer every one of them."""
    by_supplier: dict[str, dict[str, CatalogueItem]] = {}
    for c in fw.catalogue:
        if c.item_id in items:
            by_supplier.setdefault(c.supplier_id, {})[c.item_id] = c
    return {s: lines for s, lines in by_supplier.items() if len(lines) == len(items)}


def _direct_order(
    session: Session,
    fw: Framework,
    actor: Actor,
    now: datetime,
    spec: CallOffCreate,
    quantities: dict[str, Decimal],
    used: Usage,
) -> CallOff:
    if spec.supplier_id is None:
        raise ValidationFailed(
            "a direct order names its supplier",
            errors=[{"field": "supplier_id", "message": "required for a direct order"}],
        )
    offers = _offers(fw, list(quantities))
    if spec.supplier_id not in offers:
        raise ValidationFailed(
            "the supplier is not a framework party offering every item",
            errors=[{"field": "supplier_id", "message": "not a framework party offering all the requested items"}],
        )
    cost = {
        s: service.cents(sum((quantities[i] * c.unit_price for i, c in lines.items()), Decimal(0)))
        for s, lines in offers.items()
    }
    positions = {
        s: sum(p.position for p in fw.parties if p.supplier_id == s and p.lot_id in {c.lot_id for c in lines.values()})
        for s, lines in offers.items()
    }
    cheapest = min(offers, key=lambda s: (cost[s], positions[s], s))
    if spec.supplier_id != cheapest and spec.reason is None:
        raise RuleViolation(
            "a direct order goes to the party with the lowest catalogue price unless a listed reason applies",
            code="framework.not_cheapest_party",
            cheapest_supplier_id=cheapest,
            cheapest_value=cost[cheapest],
            value=cost[spec.supplier_id],
            reasons=list(m.DIRECT_ORDER_REASONS),
        )
    value = cost[spec.supplier_id]
    _check_value(fw, value, used)
    lines = offers[spec.supplier_id]
    contract = contracts.create_contract(
        session,
        actor=actor,
        now=now,
        buyer_id=fw.buyer_id,
        supplier_id=spec.supplier_id,
        title=f"{fw.title} — direct order",
        value=value,
        currency=fw.currency,
        items=[
            contracts.ItemTerms(
                item_id=i,
                description=lines[i].description,
                cpv=lines[i].cpv,
                nsn=lines[i].nsn,
                unit=lines[i].unit,
                quantity=q,
                unit_price=lines[i].unit_price,
            )
            for i, q in quantities.items()
        ],
        tender_id=None,
        framework_id=fw.id,
        not_before=now,
        delivery_due=spec.delivery_due,
    )
    return CallOff(
        framework_id=fw.id,
        method=m.DIRECT_ORDER,
        ordered_by=actor.user_id,
        ordering_unit=spec.ordering_unit,
        receiver=spec.receiver,
        supplier_id=spec.supplier_id,
        reason=spec.reason,
        value_amount=value,
        currency=fw.currency,
        contract_id=contract.id,
        created_at=now,
        lines=[
            CallOffLine(position=pos, item_id=i, quantity=q, unit_price=lines[i].unit_price)
            for pos, (i, q) in enumerate(quantities.items())
        ],
    )


def _mini_competition(
    session: Session,
    fw: Framework,
    actor: Actor,
    now: datetime,
    spec: CallOffCreate,
    quantities: dict[str, Decimal],
    used: Usage,
    lists: CodeLists,
) -> CallOff:
    if actor.role is not Role.BUYER:
        raise PermissionDenied(
            "a buyer prepares a mini-competition; an approver publishes it",
            code="auth.role_forbidden",
            allowed_roles=[Role.BUYER.value],
        )
    if spec.supplier_id is not None or spec.reason is not None:
        raise ValidationFailed(
            "a mini-competition names no supplier and no reason",
            errors=[{"field": "supplier_id", "message": "only for direct orders"}],
        )
    ceiling = {i: max(c.unit_price for c in fw.catalogue if c.item_id == i) for i in quantities}
    value = service.cents(sum((q * ceiling[i] for i, q in quantities.items()), Decimal(0)))
    _check_value(fw, value, used)
    origin = tenders.get_tender(session, fw.tender_id, actor=actor)
    tender = tenders.create_tender(
        session,
        actor=actor,
        now=now,
        lists=lists,
        spec=_mini_tender(fw, origin, spec, quantities, ceiling),
        call_off_of=fw.id,
    )
    for supplier_id in invitees(fw, quantities):
        tenders.invite(session, tender=tender, supplier_id=supplier_id, now=now, basis="framework")
    return CallOff(
        framework_id=fw.id,
        method=m.MINI_COMPETITION,
        ordered_by=actor.user_id,
        ordering_unit=spec.ordering_unit,
        receiver=spec.receiver,
        supplier_id=None,
        reason=None,
        value_amount=value,
        currency=fw.currency,
        tender_id=tender.id,
        created_at=now,
        lines=[
            CallOffLine(position=pos, item_id=i, quantity=q, unit_price=ceiling[i])
            for pos, (i, q) in enumerate(quantities.items())
        ],
    )


def invitees(fw: Framework, items: Sequence[str] | dict[str, Decimal]) -> list[str]:
    """The parties invited to a mini-competition for ``items``: every party of the lots those items belong to."""
    lots = {c.lot_id for c in fw.catalogue if c.item_id in items}
    return sorted({p.supplier_id for p in fw.parties if p.lot_id in lots})


def _mini_tender(
    fw: Framework, origin: Tender, spec: CallOffCreate, quantities: dict[str, Decimal], ceiling: dict[str, Decimal]
) -> TenderCreate:
    """The draft of a mini-competition: the framework's lots cut down to the requested items and quantities.

    Who orders and who receives stay off the tender, which becomes public when it is published. It carries the
    framework's markings (process, lots, items) and declassification date: what it copies is no less secret there."""
    mini_rules = rulebook_version(fw.rulebook_version).procedure(MINI_COMPETITION_PROCEDURE)
    criteria = (
        origin.award_criteria if origin.award_criteria in mini_rules.award_criteria else mini_rules.award_criteria[0]
    )
    # Parties compete on the criteria set out in the framework (Directive 2009/81/EC art. 29(4)(b)): its award
    # method and weights too, whenever its criteria code carries over.
    method: dict[str, Any] = {}
    if criteria == origin.award_criteria:
        method = {"award_method": origin.award_method, "award_weights": origin.award_weights}
    delivery = spec.delivery_due.date() if spec.delivery_due else None
    lots: list[dict[str, Any]] = []
    for lot in origin.lots:
        items = [i for i in lot.items if i.id in quantities]
        if not items:
            continue
        value = service.cents(sum((quantities[i.id] * ceiling[i.id] for i in items), Decimal(0)))
        lots.append(
            {
                "title": lot.title,
                "description": lot.description,
                "value": {"amount": value, "currency": fw.currency},
                "marking": lot.marking,
                "items": [
                    {
                        "description": i.description,
                        "cpv": i.cpv,
                        "nsn": i.nsn,
                        "unit": i.unit,
                        "quantity": quantities[i.id],
                        "delivery_region": i.delivery_region,
                        "delivery_date": delivery,
                        "marking": i.marking,
                    }
                    for i in items
                ],
            }
        )
    return TenderCreate.model_validate(
        {
            "title": f"{fw.title} — mini-competition"[:500],
            "procedure": MINI_COMPETITION_PROCEDURE,
            "category": origin.category,
            "award_criteria": criteria,
            **method,
            "framework_id": fw.id,
            "lots": lots,
            "marking": origin.marking,
            "declassify_on": origin.declassify_on,
        }
    )

"""Contract implementation: deliveries with the buyer's acceptance, payments, completion and termination.

Every command takes the contract's row lock first, so quantity and payment limits hold under concurrent requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.contracts.models import (
    ACTIVE,
    COMPLETE,
    CONTRACT_MACHINE,
    DELIVERY_ACCEPTED,
    DELIVERY_MACHINE,
    DELIVERY_PENDING,
    DELIVERY_REJECTED,
    TERMINATED,
    Contract,
    Delivery,
    Payment,
)
from quartermaster.contracts.schemas import DeliveryIn, PaymentIn, quantity_text
from quartermaster.contracts.service import contract_event, load_contract, require_party
from quartermaster.errors import NotFound, RuleViolation, ValidationFailed
from quartermaster.events.service import record_event, record_transition

# --- what has happened so far ----------------------------------------------------------------------------------


def delivered_quantities(session: Session, contract_id: str, statuses: Iterable[str]) -> dict[str, Decimal]:
    """Per contract line: the quantity of deliveries in ``statuses``."""
    rows = session.execute(
        select(Delivery.contract_item_id, Delivery.quantity).where(
            Delivery.contract_id == contract_id, Delivery.status.in_(list(statuses))
        )
    ).all()
    out: dict[str, Decimal] = {}
    for item_id, quantity in rows:  # summed here, not in SQL: SQLite keeps exact decimals as text
        out[item_id] = out.get(item_id, Decimal(0)) + quantity
    return out


def committed_quantities(session: Session, contract_id: str) -> dict[str, Decimal]:
    """Per line: delivered and accepted or still awaiting a decision (a rejection frees its quantity)."""
    return delivered_quantities(session, contract_id, (DELIVERY_PENDING, DELIVERY_ACCEPTED))


def paid_total(session: Session, contract_id: str) -> Decimal:
    """Everything paid under the contract so far."""
    amounts = session.scalars(select(Payment.amount).where(Payment.contract_id == contract_id)).all()
    return sum(amounts, Decimal(0))


def _next_number(session: Session, model: type[Delivery] | type[Payment], contract_id: str) -> int:
    """The next sequence number within the contract (safe: the caller holds the contract's lock)."""
    last = session.scalar(select(func.max(model.number)).where(model.contract_id == contract_id))
    return (last or 0) + 1


# --- deliveries ------------------------------------------------------------------------------------------------


def record_delivery(session: Session, *, actor: Actor, now: datetime, contract_id: str, spec: DeliveryIn) -> Delivery:
    """The supplier reports a handover; the quantity may not exceed what is neither accepted nor pending."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="record_delivery", actor=actor)
    DELIVERY_MACHINE.check(obj_id="new", state="none", command="record_delivery", actor=actor)
    require_party(actor, contract, "supplier", Role.SUPPLIER)
    item = next((i for i in contract.items if i.id == spec.contract_item_id), None)
    if item is None:
        raise ValidationFailed(
            "no such contract line", errors=[{"field": "contract_item_id", "message": "not a line of this contract"}]
        )
    if spec.delivered_at > now:
        raise ValidationFailed(
            "a delivery cannot be reported in advance",
            errors=[{"field": "delivered_at", "message": "must not be in the future"}],
        )
    if contract.date_signed is not None and spec.delivered_at < contract.date_signed:
        raise ValidationFailed(
            "the delivery predates the contract",
            errors=[{"field": "delivered_at", "message": "must not be before the signature"}],
        )
    remaining = item.quantity - committed_quantities(session, contract.id).get(item.id, Decimal(0))
    if spec.quantity > remaining:
        raise RuleViolation(
            f"only {quantity_text(remaining)} {item.unit} of this line are neither accepted nor awaiting acceptance",
            code="delivery.quantity_exceeded",
            remaining=quantity_text(remaining),
            errors=[{"field": "quantity", "message": f"at most {quantity_text(remaining)}"}],
        )
    delivery = Delivery(
        contract_id=contract.id,
        number=_next_number(session, Delivery, contract.id),
        contract_item_id=item.id,
        quantity=spec.quantity,
        delivered_at=spec.delivered_at,
        location=spec.location,
        reported_by=actor.user_id,
        status=DELIVERY_PENDING,
    )
    session.add(delivery)
    session.flush()
    contract.updated_at = now
    _delivery_event(
        session,
        contract,
        delivery,
        actor,
        now,
        "record_delivery",
        None,
        {
            "contract_item_id": item.id,
            "quantity": spec.quantity,
            "delivered_at": spec.delivered_at,
            "location": spec.location,
        },
    )
    return delivery


def accept_delivery(
    session: Session, *, actor: Actor, now: datetime, delivery_id: str, reason: str | None = None
) -> Delivery:
    """The buyer accepts a pending delivery (acceptance is what completion and payments count)."""
    return _decide(
        session,
        actor=actor,
        now=now,
        delivery_id=delivery_id,
        command="accept_delivery",
        target=DELIVERY_ACCEPTED,
        reason=reason,
    )


def reject_delivery(session: Session, *, actor: Actor, now: datetime, delivery_id: str, reason: str) -> Delivery:
    """The buyer rejects a pending delivery with a reason; its quantity may be delivered again."""
    return _decide(
        session,
        actor=actor,
        now=now,
        delivery_id=delivery_id,
        command="reject_delivery",
        target=DELIVERY_REJECTED,
        reason=reason,
    )


def _decide(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    delivery_id: str,
    command: str,
    target: str,
    reason: str | None,
) -> Delivery:
    found = session.get(Delivery, delivery_id)
    if found is None:
        raise NotFound("delivery not found", code="delivery.not_found")
    contract = load_contract(session, found.contract_id, for_update=True)
    delivery = session.scalar(
        select(Delivery).where(Delivery.id == delivery_id).execution_options(populate_existing=True)
    )
    assert delivery is not None  # deliveries are never deleted
    DELIVERY_MACHINE.check(obj_id=delivery.id, state=delivery.status, command=command, actor=actor)
    require_party(actor, contract, "buyer", Role.BUYER)
    if contract.status != ACTIVE:
        raise CONTRACT_MACHINE.refuse(
            obj_id=contract.id,
            state=contract.status,
            command=command,
            reason="deliveries are decided while the contract is active",
        )
    before = delivery.status
    delivery.status, delivery.decided_at, delivery.decided_by, delivery.reason = target, now, actor.user_id, reason
    contract.updated_at = now
    _delivery_event(session, contract, delivery, actor, now, command, before, {"reason": reason})
    return delivery


def _delivery_event(
    session: Session,
    contract: Contract,
    delivery: Delivery,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, object],
) -> None:
    record_transition(
        session,
        DELIVERY_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=delivery.id,
        process_id=contract.tender_id or contract.framework_id,
        before=before,
        after=delivery.status,
        payload={"contract_id": contract.id, "number": delivery.number, **payload},
    )


def list_deliveries(
    session: Session, *, actor: Actor | None, contract_id: str, after: int, limit: int
) -> Sequence[Delivery]:
    """Deliveries of a contract in the order they were reported, after number ``after``."""
    contract = load_contract(session, contract_id)
    return session.scalars(
        select(Delivery)
        .where(Delivery.contract_id == contract.id, Delivery.number > after)
        .order_by(Delivery.number)
        .limit(limit)
    ).all()


# --- payments --------------------------------------------------------------------------------------------------


def record_payment(session: Session, *, actor: Actor, now: datetime, contract_id: str, spec: PaymentIn) -> Payment:
    """The buyer records a payment in the contract currency; all payments together may not exceed the value."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="record_payment", actor=actor)
    require_party(actor, contract, "buyer", Role.BUYER, Role.APPROVER)
    errors: list[dict[str, str]] = []
    if spec.amount.currency != contract.currency:
        errors.append({"field": "amount.currency", "message": f"must be the contract currency {contract.currency}"})
    if spec.amount.amount <= 0:
        errors.append({"field": "amount.amount", "message": "must be positive"})
    if spec.paid_at > now:
        errors.append({"field": "paid_at", "message": "must not be in the future"})
    delivery = session.get(Delivery, spec.delivery_id) if spec.delivery_id else None
    if spec.delivery_id and (delivery is None or delivery.contract_id != contract.id):
        errors.append({"field": "delivery_id", "message": "not a delivery of this contract"})
    if errors:
        raise ValidationFailed("the payment is invalid", errors=errors)
    if delivery is not None and delivery.status != DELIVERY_ACCEPTED:
        raise RuleViolation(
            f"delivery {delivery.number} is '{delivery.status}'; only accepted deliveries are paid",
            code="payment.delivery_not_accepted",
            delivery_status=delivery.status,
            errors=[{"field": "delivery_id", "message": "the delivery is not accepted"}],
        )
    paid = paid_total(session, contract.id)
    if paid + spec.amount.amount > contract.value_amount:
        raise RuleViolation(
            f"{paid} is already paid; {spec.amount.amount} more would exceed the contract value "
            f"{contract.value_amount}",
            code="payment.exceeds_value",
            paid=paid,
            value=contract.value_amount,
            errors=[{"field": "amount.amount", "message": f"at most {contract.value_amount - paid}"}],
        )
    payment = Payment(
        contract_id=contract.id,
        number=_next_number(session, Payment, contract.id),
        delivery_id=spec.delivery_id,
        amount=spec.amount.amount,
        currency=contract.currency,
        paid_at=spec.paid_at,
        reference=spec.reference,
        recorded_by=actor.user_id,
    )
    session.add(payment)
    session.flush()
    contract.updated_at = now
    record_event(
        session,
        actor=actor,
        now=now,
        command="record_payment",
        event_type=CONTRACT_MACHINE.transitions["record_payment"].event,
        object_type="payment",
        object_id=payment.id,
        process_id=contract.tender_id or contract.framework_id,
        before=None,
        after="recorded",
        payload={"contract_id": contract.id, "number": payment.number, **spec.model_dump(mode="json")},
    )
    return payment


def list_payments(
    session: Session, *, actor: Actor | None, contract_id: str, after: int, limit: int
) -> Sequence[Payment]:
    """Payments of a contract in the order they were recorded, after number ``after``."""
    contract = load_contract(session, contract_id)
    return session.scalars(
        select(Payment)
        .where(Payment.contract_id == contract.id, Payment.number > after)
        .order_by(Payment.number)
        .limit(limit)
    ).all()


# --- the end of a contract -------------------------------------------------------------------------------------


def complete_contract(session: Session, *, actor: Actor, now: datetime, contract_id: str) -> Contract:
    """The buyer's approver closes a contract whose every line is fully accepted."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="complete_contract", actor=actor)
    require_party(actor, contract, "buyer", Role.APPROVER)
    accepted = delivered_quantities(session, contract.id, (DELIVERY_ACCEPTED,))
    short = [
        {
            "field": f"items.{i.position}",
            "message": f"{quantity_text(accepted.get(i.id, Decimal(0)))} of {quantity_text(i.quantity)} accepted",
        }
        for i in contract.items
        if accepted.get(i.id, Decimal(0)) < i.quantity
    ]
    if short:
        raise RuleViolation(
            "every line must be delivered and accepted in full before completion",
            code="contract.not_fully_accepted",
            errors=short,
        )
    contract.status = COMPLETE
    contract_event(
        session,
        contract=contract,
        actor=actor,
        now=now,
        command="complete_contract",
        before=ACTIVE,
        payload={"accepted": {k: quantity_text(v) for k, v in accepted.items()}},
    )
    return contract


def terminate_contract(session: Session, *, actor: Actor, now: datetime, contract_id: str, reason: str) -> Contract:
    """The buyer's approver ends an active contract early, with a reason."""
    contract = load_contract(session, contract_id, for_update=True)
    CONTRACT_MACHINE.check(obj_id=contract.id, state=contract.status, command="terminate_contract", actor=actor)
    require_party(actor, contract, "buyer", Role.APPROVER)
    if not reason.strip():
        raise ValidationFailed("a termination needs a reason", errors=[{"field": "reason", "message": "required"}])
    contract.status, contract.status_reason = TERMINATED, reason
    contract_event(
        session,
        contract=contract,
        actor=actor,
        now=now,
        command="terminate_contract",
        before=ACTIVE,
        payload={"reason": reason},
    )
    return contract

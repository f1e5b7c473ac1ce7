"""Plan use cases: prepare, change, publish, cancel and complete annual procurement plans. Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.codelists import CodeLists, validate_cpv, validate_currency, validate_unit
from quartermaster.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import record_transition
from quartermaster.plans.models import PLAN_CANCELLED, PLAN_COMPLETE, PLAN_DRAFT, PLAN_MACHINE, PLAN_PUBLISHED, Plan
from quartermaster.plans.schemas import PlanCreate, PlanItemIn, PlanUpdate
from quartermaster.rules import rulebook_for

BUYER_SIDE = (Role.BUYER, Role.APPROVER, Role.EVALUATOR)

# Plain fields a PlanUpdate may change one by one (value, items and cpv_main need conversion).
_SIMPLE_FIELDS = (
    "title",
    "description",
    "year",
    "budget_line",
    "budget_source",
    "procedure",
    "category",
    "tender_start",
)


# --- reading -------------------------------------------------------------------------------------------------


def can_see_draft(actor: Actor | None, plan: Plan) -> bool:
    """Unpublished plans are seen by the buyer's own staff and by auditors only."""
    if actor is None:
        return False
    if actor.role is Role.AUDITOR or actor.is_system:
        return True
    return actor.role in BUYER_SIDE and actor.organization_id == plan.buyer_id


def get_plan(session: Session, plan_id: str, *, actor: Actor | None, for_update: bool = False) -> Plan:
    """A plan visible to ``actor`` (NotFound otherwise, so drafts do not leak their existence)."""
    stmt = select(Plan).where(Plan.id == plan_id)
    if for_update:
        stmt = stmt.with_for_update()
    plan = session.scalar(stmt)
    if plan is None or (not plan.is_published and not can_see_draft(actor, plan)):
        raise NotFound("plan not found", code="plan.not_found")
    return plan


@dataclass(frozen=True)
class PlanFilter:
    """Filters of the plan list."""

    status: str | None = None
    buyer_id: str | None = None
    year: int | None = None
    cpv_prefix: str | None = None


def list_plans(
    session: Session, *, actor: Actor | None, flt: PlanFilter, after: str | None, limit: int
) -> Sequence[Plan]:
    """Plans in id order (keyset paging on id), filtered; unpublished ones only for those who may see them."""
    stmt = select(Plan).order_by(Plan.id).limit(limit)
    if after:
        stmt = stmt.where(Plan.id > after)
    if flt.status:
        stmt = stmt.where(Plan.status == flt.status)
    if flt.buyer_id:
        stmt = stmt.where(Plan.buyer_id == flt.buyer_id)
    if flt.year is not None:
        stmt = stmt.where(Plan.year == flt.year)
    if flt.cpv_prefix:
        stmt = stmt.where(Plan.cpv_main.startswith(flt.cpv_prefix, autoescape=True))
    if actor is None or not (actor.role is Role.AUDITOR or actor.is_system):
        own_org = actor.organization_id if actor is not None and actor.role in BUYER_SIDE else None
        stmt = stmt.where(Plan.published_at.is_not(None) | (Plan.buyer_id == own_org))
    return session.scalars(stmt).all()


def allowed_commands(plan: Plan) -> list[str]:
    """Commands the plan's state allows (before role checks)."""
    return PLAN_MACHINE.allowed(plan.status)


def require_plan_for_tender(session: Session, *, plan_id: str, buyer_id: str) -> Plan:
    """The published plan a new tender of ``buyer_id`` refers to; anything else is a field error."""
    plan = session.get(Plan, plan_id)
    if plan is None or (plan.buyer_id != buyer_id and not plan.is_published):
        message = "no such plan"
    elif plan.buyer_id != buyer_id:
        message = "the plan belongs to another buyer"
    elif plan.status != PLAN_PUBLISHED:
        message = f"the plan is '{plan.status}'; a tender may only follow a published plan"
    else:
        return plan
    raise ValidationFailed(message, errors=[{"field": "plan_id", "message": message}], code="tender.invalid_plan")


# --- preparing -----------------------------------------------------------------------------------------------


def _require_staff(actor: Actor, plan: Plan, *roles: Role) -> None:
    if actor.is_system:
        return
    if actor.role not in roles:
        raise PermissionDenied(
            f"role '{actor.role}' may not do this", code="auth.role_forbidden", allowed_roles=[r.value for r in roles]
        )
    if actor.organization_id != plan.buyer_id:
        raise PermissionDenied("only the buyer's own staff may do this", code="auth.not_party")


def _items(items: Sequence[PlanItemIn], lists: CodeLists, errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        unit = item.unit
        try:
            validate_cpv(item.cpv, lists)
        except ValueError as exc:
            errors.append({"field": f"items.{i}.cpv", "message": str(exc)})
        try:
            unit = validate_unit(item.unit, lists).code
        except ValueError as exc:
            errors.append({"field": f"items.{i}.unit", "message": str(exc)})
        # Quantities are kept as decimal strings: JSON numbers would pass through float.
        out.append({"description": item.description, "cpv": item.cpv, "unit": unit, "quantity": str(item.quantity)})
    return out


def _validate(plan: Plan, lists: CodeLists, now: datetime, errors: list[dict[str, str]]) -> None:
    book = rulebook_for(now)
    if plan.procedure not in book.procedures:
        errors.append(
            {
                "field": "procedure",
                "message": f"not a procedure of rulebook {book.version}; known: {', '.join(sorted(book.procedures))}",
            }
        )
    try:
        plan.currency = validate_currency(plan.currency, lists)
    except ValueError as exc:
        errors.append({"field": "value.currency", "message": str(exc)})
    try:
        validate_cpv(plan.cpv_main, lists)
    except ValueError as exc:
        errors.append({"field": "cpv_main", "message": str(exc)})
    if errors:
        raise ValidationFailed("the plan is invalid", errors=errors, code="plan.invalid")


def create_plan(session: Session, *, actor: Actor, now: datetime, spec: PlanCreate, lists: CodeLists) -> Plan:
    """Prepare a draft plan for the actor's organization, validated against the code lists and the rulebook."""
    if actor.role is not Role.BUYER or actor.organization_id is None:
        raise PermissionDenied("only a buyer may prepare a plan", code="auth.role_forbidden", allowed_roles=["buyer"])
    errors: list[dict[str, str]] = []
    plan = Plan(
        buyer_id=actor.organization_id,
        year=spec.year,
        title=spec.title,
        description=spec.description,
        budget_line=spec.budget_line,
        budget_source=spec.budget_source,
        procedure=spec.procedure,
        category=spec.category,
        value_amount=spec.value.amount,
        currency=spec.value.currency,
        cpv_main=spec.cpv_main or spec.items[0].cpv,
        items=_items(spec.items, lists, errors),
        tender_start=spec.tender_start,
        status=PLAN_DRAFT,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _validate(plan, lists, now, errors)
    session.add(plan)
    session.flush()
    _event(session, plan, actor, now, "create_plan", None, spec.model_dump(mode="json"), event_type="PlanCreated")
    return plan


def update_plan(
    session: Session, *, actor: Actor, now: datetime, plan_id: str, spec: PlanUpdate, lists: CodeLists
) -> Plan:
    """Change a draft plan (the buyer's own buyers only)."""
    plan = get_plan(session, plan_id, actor=actor, for_update=True)
    PLAN_MACHINE.check(obj_id=plan.id, state=plan.status, command="update_plan", actor=actor)
    _require_staff(actor, plan, Role.BUYER)
    changes = spec.model_dump(exclude_unset=True, mode="json")
    errors: list[dict[str, str]] = []
    for field in _SIMPLE_FIELDS:
        if field in changes:
            value = getattr(spec, field)
            if value is None and field not in ("description", "budget_source", "tender_start"):
                errors.append({"field": field, "message": "may not be null"})
            else:
                setattr(plan, field, value)
    if "value" in changes:
        if spec.value is None:
            errors.append({"field": "value", "message": "may not be null"})
        else:
            plan.value_amount, plan.currency = spec.value.amount, spec.value.currency
    if spec.items is not None:
        plan.items = _items(spec.items, lists, errors)
        plan.cpv_main = spec.items[0].cpv
    if spec.cpv_main is not None:
        plan.cpv_main = spec.cpv_main
    _validate(plan, lists, now, errors)
    plan.updated_at = now
    _event(session, plan, actor, now, "update_plan", PLAN_DRAFT, changes)
    return plan


# --- publishing, cancelling, completing ----------------------------------------------------------------------


def publish_plan(session: Session, *, actor: Actor, now: datetime, plan_id: str) -> Plan:
    """Publish a draft; an approver of the buyer publishes, never the person who prepared it."""
    plan = get_plan(session, plan_id, actor=actor, for_update=True)
    PLAN_MACHINE.check(obj_id=plan.id, state=plan.status, command="publish_plan", actor=actor)
    _require_staff(actor, plan, Role.APPROVER)
    if actor.user_id == plan.created_by:
        raise PermissionDenied("the person who prepared a plan may not approve it", code="plan.separation_of_duties")
    if plan.procedure not in rulebook_for(now).procedures:
        raise RuleViolation(
            f"procedure '{plan.procedure}' is not in the rulebook in force",
            code="plan.unknown_procedure",
            procedure=plan.procedure,
        )
    plan.status, plan.published_at, plan.published_by, plan.updated_at = PLAN_PUBLISHED, now, actor.user_id, now
    _event(session, plan, actor, now, "publish_plan", PLAN_DRAFT, {})
    return plan


def cancel_plan(session: Session, *, actor: Actor, now: datetime, plan_id: str, reason: str) -> Plan:
    """Cancel a draft or published plan, with a reason."""
    plan = get_plan(session, plan_id, actor=actor, for_update=True)
    PLAN_MACHINE.check(obj_id=plan.id, state=plan.status, command="cancel_plan", actor=actor)
    _require_staff(actor, plan, Role.APPROVER)
    before = plan.status
    plan.status, plan.status_reason, plan.updated_at = PLAN_CANCELLED, reason, now
    _event(session, plan, actor, now, "cancel_plan", before, {"reason": reason})
    return plan


def complete_plan(session: Session, *, actor: Actor, now: datetime, plan_id: str) -> Plan:
    """Mark a published plan as carried out (its procedures have been run)."""
    plan = get_plan(session, plan_id, actor=actor, for_update=True)
    PLAN_MACHINE.check(obj_id=plan.id, state=plan.status, command="complete_plan", actor=actor)
    _require_staff(actor, plan, Role.APPROVER)
    plan.status, plan.updated_at = PLAN_COMPLETE, now
    _event(session, plan, actor, now, "complete_plan", PLAN_PUBLISHED, {})
    return plan


def _event(
    session: Session,
    plan: Plan,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, Any],
    *,
    event_type: str | None = None,
) -> None:
    record_transition(
        session,
        PLAN_MACHINE,
        actor=actor,
        now=now,
        command=command,
        event_type=event_type,
        object_id=plan.id,
        process_id=plan.id,
        before=before,
        after=plan.status,
        payload=payload,
    )
    session.flush()  # bumps the row version now, so the response's ETag is the new one

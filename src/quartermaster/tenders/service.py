"""Tender use cases: prepare, publish, run the periods, take questions, cancel. Services never commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from quartermaster.actors import Actor, Role
from quartermaster.codelists import CodeLists, validate_cpv, validate_currency, validate_nsn, validate_unit
from quartermaster.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.models import Event
from quartermaster.events.service import record_event, record_transition
from quartermaster.plans import service as plans
from quartermaster.rules import ProcedureRules, Rulebook, rulebook_for, rulebook_version
from quartermaster.rules.model import award_method_errors
from quartermaster.tenders import access
from quartermaster.tenders import models as m
from quartermaster.tenders.models import TENDER_MACHINE, Item, Lot, Tender
from quartermaster.tenders.schemas import LotIn, PublishTender, TenderCreate, TenderUpdate

BUYER_SIDE = (Role.BUYER, Role.APPROVER, Role.EVALUATOR)
PREPARERS = (Role.BUYER, Role.APPROVER)


# --- reading -------------------------------------------------------------------------------------------------


def can_see_draft(actor: Actor | None, tender: Tender) -> bool:
    """Drafts are seen by the buyer's own staff and by auditors; everyone else sees published tenders only."""
    if actor is None:
        return False
    if actor.role is Role.AUDITOR or actor.is_system:
        return True
    return actor.role in BUYER_SIDE and actor.organization_id == tender.buyer_id


@cache
def _tender_query(*, lock: str | None, join_lots: bool) -> Select[Tender]:
    # Built once per variant with a bound id: on hot paths building a statement costs more than running it.
    stmt = select(Tender).where(Tender.id == bindparam("tender_id"))
    if join_lots:
        stmt = stmt.options(joinedload(Tender.lots))
    if lock is not None:
        # OF tenders: PostgreSQL refuses to lock the nullable side of the outer join to lots.
        stmt = stmt.with_for_update(read=lock == "share", of=Tender)
    return stmt


def get_tender(
    session: Session,
    tender_id: str,
    *,
    actor: Actor | None,
    for_update: bool = False,
    for_share: bool = False,
    join_lots: bool = False,
) -> Tender:
    """A tender visible to ``actor`` (NotFound otherwise, so drafts do not leak their existence).

    ``for_update`` locks the row for a state change; ``for_share`` lets many bids proceed together while holding
    off a state change (the period end, the opening) until they commit. ``join_lots`` loads the lots in the same
    statement (a hot path's one round trip) instead of a second SELECT; the lock still covers the tender row only.
    """
    stmt = _tender_query(lock="update" if for_update else "share" if for_share else None, join_lots=join_lots)
    tender = session.execute(stmt, {"tender_id": tender_id}).unique().scalar_one_or_none()
    if tender is None or (not tender.is_published and not can_see_draft(actor, tender)):
        raise NotFound("tender not found", code="tender.not_found")
    return tender


@dataclass(frozen=True)
class TenderFilter:
    """Filters of the tender list."""

    status: str | None = None
    procedure: str | None = None
    buyer_id: str | None = None
    cpv_prefix: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None


def list_tenders(
    session: Session, *, actor: Actor | None, flt: TenderFilter, after: str | None, limit: int
) -> Sequence[Tender]:
    """Tenders newest first by id order (keyset paging on id), filtered; drafts only for those who may see them,
    classified processes only for those cleared for them (``access.visible_filter``)."""
    stmt: Select[Tender] = select(Tender).options(selectinload(Tender.items)).order_by(Tender.id).limit(limit)
    if after:
        stmt = stmt.where(Tender.id > after)
    if flt.status:
        stmt = stmt.where(Tender.status == flt.status)
    if flt.procedure:
        stmt = stmt.where(Tender.procedure == flt.procedure)
    if flt.buyer_id:
        stmt = stmt.where(Tender.buyer_id == flt.buyer_id)
    if flt.cpv_prefix:
        stmt = stmt.where(Tender.cpv_main.startswith(flt.cpv_prefix, autoescape=True))
    if flt.published_from:
        stmt = stmt.where(Tender.published_at >= flt.published_from)
    if flt.published_to:
        stmt = stmt.where(Tender.published_at < flt.published_to)
    if actor is None or actor.role is not Role.AUDITOR:
        own_org = actor.organization_id if actor is not None and actor.role in BUYER_SIDE else None
        stmt = stmt.where(Tender.published_at.is_not(None) | (Tender.buyer_id == own_org))
    stmt = stmt.where(access.visible_filter(actor, "tender"))
    return session.scalars(stmt).all()


def allowed_commands(tender: Tender) -> list[str]:
    """Commands the tender's state allows (before role checks)."""
    return TENDER_MACHINE.allowed(tender.status)


def tender_rules(tender: Tender) -> tuple[Rulebook, ProcedureRules]:
    """The rulebook version the tender runs under and its procedure's rules."""
    if tender.rulebook_version is None:
        raise RuleViolation("tender has no rulebook yet", code="rule.unbound")
    book = rulebook_version(tender.rulebook_version)
    return book, book.procedure(tender.procedure)


# --- preparing -----------------------------------------------------------------------------------------------


def _require_buyer_staff(actor: Actor, tender_buyer_id: str, *roles: Role) -> None:
    if actor.is_system:
        return
    if actor.role not in roles:
        raise PermissionDenied(
            f"role '{actor.role}' may not do this", code="auth.role_forbidden", allowed_roles=[r.value for r in roles]
        )
    if actor.organization_id != tender_buyer_id:
        raise PermissionDenied("only the buyer's own staff may do this", code="auth.not_party")


def _build_lots(tender: Tender, lots: Sequence[LotIn], lists: CodeLists) -> None:
    errors: list[dict[str, str]] = []
    tender.lots.clear()
    tender.items.clear()
    item_pos = 0
    for li, lot_in in enumerate(lots):
        if lot_in.value.currency != tender.currency:
            errors.append({"field": f"lots.{li}.value.currency", "message": "all lots must share one currency"})
        lot = Lot(
            position=li,
            title=lot_in.title,
            description=lot_in.description,
            value_amount=lot_in.value.amount,
            currency=lot_in.value.currency,
            status=m.LOT_ACTIVE,
            marking=lot_in.marking,
        )
        tender.lots.append(lot)
        for ii, item_in in enumerate(lot_in.items):
            where = f"lots.{li}.items.{ii}"
            nsn = None
            checks: list[tuple[str, str | None, Callable[[str, CodeLists], object]]] = [
                ("cpv", item_in.cpv, validate_cpv),
                ("unit", item_in.unit, validate_unit),
                ("nsn", item_in.nsn, validate_nsn),
            ]
            for field, value, check in checks:
                if value is None:
                    continue
                try:
                    result = check(value, lists)
                except ValueError as exc:
                    errors.append({"field": f"{where}.{field}", "message": str(exc)})
                    continue
                if field == "nsn":
                    nsn = str(result)  # the canonical dashed form
            item = Item(
                position=item_pos,
                description=item_in.description,
                cpv=item_in.cpv,
                nsn=nsn,
                unit=item_in.unit,
                quantity=item_in.quantity,
                delivery_region=item_in.delivery_region,
                delivery_locality=item_in.delivery_locality,
                delivery_address=item_in.delivery_address,
                delivery_date=item_in.delivery_date,
                marking=item_in.marking,
            )
            item_pos += 1
            tender.items.append(item)
            lot.items.append(item)
    if errors:
        raise ValidationFailed("the tender's lots or items are invalid", errors=errors, code="tender.invalid_items")
    total = sum((lot.value_amount for lot in tender.lots), Decimal(0))
    tender.value_amount = total
    tender.cpv_main = tender.items[0].cpv


def create_tender(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    spec: TenderCreate,
    lists: CodeLists,
    call_off_of: str | None = None,
) -> Tender:
    """Prepare a draft tender for the actor's organization; validated against code lists, not yet the rulebook.

    Buyers prepare; an approver may prepare too (a small unit's officer), but then another approver publishes.
    A mini-competition exists only as a call-off of a framework: the frameworks context creates it and passes
    ``call_off_of``; nobody can point a tender at a framework by hand.
    """
    if (spec.framework_id is not None or spec.procedure == "framework.mini-competition") and (
        call_off_of is None or spec.framework_id != call_off_of
    ):
        msg = "a mini-competition is created by placing a call-off on its framework (POST /frameworks/{id}/call-offs)"
        raise ValidationFailed(msg, errors=[{"field": "framework_id", "message": msg}], code="tender.not_a_call_off")
    if actor.role not in PREPARERS or actor.organization_id is None:
        raise PermissionDenied(
            "only a buyer or an approver may prepare a tender",
            code="auth.role_forbidden",
            allowed_roles=[r.value for r in PREPARERS],
        )
    if spec.plan_id is not None:  # a tender may only follow its own buyer's published plan
        plans.require_plan_for_tender(session, plan_id=spec.plan_id, buyer_id=actor.organization_id)
    currency = spec.lots[0].value.currency
    try:
        validate_currency(currency, lists)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "lots.0.value.currency", "message": str(exc)}]) from exc
    tender = Tender(
        title=spec.title,
        description=spec.description,
        buyer_id=actor.organization_id,
        procedure=spec.procedure,
        status=m.DRAFT,
        category=spec.category,
        currency=currency,
        value_amount=Decimal(0),
        award_criteria=spec.award_criteria,
        award_method=spec.award_method,
        award_weights=_weights_json(spec.award_weights),
        justification=spec.justification,
        justification_details=spec.justification_details,
        plan_id=spec.plan_id,
        framework_id=spec.framework_id,
        marking=spec.marking,
        declassify_on=spec.declassify_on,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _check_award_method(tender, now)
    _build_lots(tender, spec.lots, lists)
    session.add(tender)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="create_tender",
        event_type="TenderCreated",
        object_type="tender",
        object_id=tender.id,
        process_id=tender.id,
        before=None,
        after=m.DRAFT,
        payload=spec.model_dump(mode="json"),
    )
    return tender


def _weights_json(weights: Mapping[Any, Decimal] | None) -> dict[str, str] | None:
    return None if weights is None else {k: str(v) for k, v in weights.items()}


def _check_award_method(tender: Tender, now: datetime) -> None:
    """The award method fits the award criteria; best-value weights use criteria the rulebook in force allows."""
    weights = None if tender.award_weights is None else {k: Decimal(v) for k, v in tender.award_weights.items()}
    allowed = rulebook_for(now).best_value_weights if weights is not None else {}
    errors = award_method_errors(tender.award_criteria, tender.award_method, weights, allowed)
    if errors:
        raise ValidationFailed("the award method does not fit the tender", errors=errors)


def update_tender(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, spec: TenderUpdate, lists: CodeLists
) -> Tender:
    """Change a draft (the buyer side only)."""
    tender = get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="update_tender", actor=actor)
    _require_buyer_staff(actor, tender.buyer_id, *PREPARERS)
    changes = spec.model_dump(exclude_unset=True, mode="json")
    fields = ("title", "description", "category", "award_criteria", "justification", "justification_details")
    for field in (*fields, "declassify_on"):
        if field in changes:
            setattr(tender, field, getattr(spec, field))
    if spec.marking is not None:
        tender.marking = spec.marking
    if "award_method" in changes:
        tender.award_method = spec.award_method
    if "award_weights" in changes:
        tender.award_weights = _weights_json(spec.award_weights)
    _check_award_method(tender, now)
    if spec.lots is not None:
        tender.currency = spec.lots[0].value.currency
        _build_lots(tender, spec.lots, lists)
    tender.updated_at = now
    tender_event(session, tender, actor, now, "update_tender", m.DRAFT, changes)
    return tender


def tender_event(
    session: Session,
    tender: Tender,
    actor: Actor,
    now: datetime,
    command: str,
    before: str,
    payload: dict[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> None:
    """Record a tender transition's event (flushing first, so responses carry the new version)."""
    record_transition(
        session,
        TENDER_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=tender.id,
        process_id=tender.id,
        before=before,
        after=tender.status,
        payload=payload,
        occurred_at=occurred_at,
    )
    session.flush()  # bumps the version counter now, so the ETag a command returns is the new one


# --- publishing ----------------------------------------------------------------------------------------------


def minimum_periods(book: Rulebook, rules: ProcedureRules, start: datetime) -> dict[str, datetime | None]:
    """The earliest allowed period ends for a procedure starting at ``start`` (steps run one after another)."""
    cal = book.calendar()
    out: dict[str, datetime | None] = {"prequalification_end": None, "enquiry_end": None, "tender_end": None}
    cursor = start
    if "prequalification" in rules.steps and rules.prequalification_period:
        cursor = out["prequalification_end"] = cal.add(cursor, rules.prequalification_period)
        return out  # the tender period is set when candidates are invited
    if "enquiries" in rules.steps and rules.enquiry_period:
        cursor = out["enquiry_end"] = cal.add(cursor, rules.enquiry_period)
    if "tendering" in rules.steps and rules.tender_period:
        out["tender_end"] = cal.add(cursor, rules.tender_period)
    return out


def _check_period(
    book: Rulebook, start: datetime, end: datetime | None, rule: Any, field: str, errors: list[dict[str, str]]
) -> None:
    if rule is None:
        return
    if end is None:
        errors.append({"field": field, "message": "required by this procedure"})
    elif not book.calendar().meets(start, end, rule):
        earliest = book.calendar().add(start, rule)
        errors.append(
            {
                "field": field,
                "message": f"must be at least {rule.days} {rule.kind} days after {start.isoformat()} "
                f"(earliest {earliest.isoformat()}; {rule.source})",
            }
        )


def preparers(session: Session, tender: Tender) -> set[str]:
    """Everyone who wrote the draft: its creator and every editor (read from the tender's events)."""
    editors = session.scalars(
        select(Event.actor_id).where(Event.object_id == tender.id, Event.command == "update_tender")
    ).all()
    return {tender.created_by, *editors}


def publish_tender(session: Session, *, actor: Actor, now: datetime, tender_id: str, periods: PublishTender) -> Tender:
    """Publish a draft under the rulebook in force now; the preparer may not publish their own tender."""
    tender = get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="publish_tender", actor=actor)
    _require_buyer_staff(actor, tender.buyer_id, Role.APPROVER)
    if actor.user_id in preparers(session, tender):
        raise PermissionDenied(
            "the person who prepared a tender may not approve it", code="tender.separation_of_duties"
        )
    book = rulebook_for(now)
    rules = book.procedure(tender.procedure)
    _check_publishable(tender, book, rules, now, periods)
    before = tender.status
    tender.rulebook_version = book.version
    tender.published_at = now
    tender.published_by = actor.user_id
    tender.updated_at = now
    tender.prequalification_end = periods.prequalification_end if "prequalification" in rules.steps else None
    tender.enquiry_end = periods.enquiry_end if "enquiries" in rules.steps else None
    tender.tender_end = periods.tender_end if "tendering" in rules.steps and not tender.prequalification_end else None
    if "prequalification" in rules.steps:
        tender.status = m.PREQUALIFICATION
    elif "enquiries" in rules.steps:
        tender.status = m.ENQUIRIES
    elif "tendering" in rules.steps:
        tender.status, tender.tender_start = m.TENDERING, now
    else:
        tender.status = m.QUALIFICATION  # limited procedures go straight to the award decision
    tender_event(
        session,
        tender,
        actor,
        now,
        "publish_tender",
        before,
        {"rulebook_version": book.version, **periods.model_dump(mode="json")},
    )
    return tender


def _check_publishable(
    tender: Tender, book: Rulebook, rules: ProcedureRules, now: datetime, periods: PublishTender
) -> None:
    errors: list[dict[str, str]] = []
    if tender.award_criteria not in rules.award_criteria:
        errors.append({"field": "award_criteria", "message": f"{tender.procedure} allows {list(rules.award_criteria)}"})
    if rules.justifications and tender.justification not in rules.justifications:
        errors.append({"field": "justification", "message": f"required, one of {list(rules.justifications)}"})
    if not rules.justifications and tender.justification:
        errors.append({"field": "justification", "message": f"not used by {tender.procedure}"})
    if rules.max_value is not None and tender.value_amount > rules.max_value:
        errors.append({"field": "value", "message": f"{tender.procedure} is limited to {rules.max_value}"})
    if (tender.framework_id is None) == (tender.procedure == "framework.mini-competition"):
        errors.append({"field": "framework_id", "message": "a mini-competition, and only one, names its framework"})
    if "prequalification" in rules.steps:
        _check_period(
            book, now, periods.prequalification_end, rules.prequalification_period, "prequalification_end", errors
        )
    else:
        start = now
        if "enquiries" in rules.steps:
            _check_period(book, now, periods.enquiry_end, rules.enquiry_period, "enquiry_end", errors)
            start = periods.enquiry_end or now
        if "tendering" in rules.steps:
            _check_period(book, start, periods.tender_end, rules.tender_period, "tender_end", errors)
    if errors:
        raise RuleViolation(
            f"the tender breaks rulebook {book.version} for '{tender.procedure}'",
            code="tender.rules_not_met",
            errors=errors,
            rulebook_version=book.version,
        )


def cancel_tender(session: Session, *, actor: Actor, now: datetime, tender_id: str, reason: str) -> Tender:
    """Cancel a tender that has not finished; its open lots are cancelled with it."""
    tender = get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="cancel_tender", actor=actor)
    _require_buyer_staff(actor, tender.buyer_id, Role.APPROVER)
    awarded = [lot.id for lot in tender.lots if lot.status == m.LOT_AWARDED]
    if awarded:
        # An award opens a standstill and drafts a contract; cancelling the tender under it would orphan both.
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id,
            state=tender.status,
            command="cancel_tender",
            reason=f"lot(s) {', '.join(awarded)} are awarded; cancel their awards first",
        )
    before = tender.status
    for lot in tender.lots:  # each lot's change is an event of its own, like every other state change
        if lot.status in m.LOT_MACHINE.transitions["cancel_lot"].sources:
            transition_lot(
                session,
                tender=tender,
                lot=lot,
                command="cancel_lot",
                target=m.LOT_CANCELLED,
                actor=actor,
                now=now,
                payload={"reason": reason},
            )
    tender.status = m.CANCELLED
    tender.updated_at = now
    tender_event(session, tender, actor, now, "cancel_tender", before, {"reason": reason})
    return tender


# --- lots and the tender's derived state ---------------------------------------------------------------------


def transition_lot(
    session: Session,
    *,
    tender: Tender,
    lot: Lot,
    command: str,
    target: str,
    actor: Actor,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Move a lot through the lot state machine, with its event."""
    m.LOT_MACHINE.check_state(obj_id=lot.id, state=lot.status, command=command)
    before, lot.status = lot.status, target
    record_transition(
        session,
        m.LOT_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=lot.id,
        process_id=tender.id,
        before=before,
        after=target,
        payload=payload or {},
    )


def settle_tender(session: Session, *, tender: Tender, actor: Actor, now: datetime) -> None:
    """Derive the tender's state from its lots after a lot-level decision (award, failure, completion)."""
    statuses = [lot.status for lot in tender.lots]
    active = m.LOT_ACTIVE in statuses
    awarded = m.LOT_AWARDED in statuses
    complete = m.LOT_COMPLETE in statuses
    command: str | None = None
    target = tender.status
    if tender.status == m.QUALIFICATION and not active:
        command, target = ("award_lots", m.AWARDED) if awarded or complete else ("fail_tender", m.UNSUCCESSFUL)
    elif tender.status == m.AWARDED and active:
        command, target = "reopen_qualification", m.QUALIFICATION
    elif tender.status == m.AWARDED and not awarded:
        command, target = ("complete_tender", m.COMPLETE) if complete else ("fail_tender", m.UNSUCCESSFUL)
    elif tender.status in (m.OPENING, m.PREQUALIFICATION_REVIEW) and not (active or awarded or complete):
        command, target = "fail_tender", m.UNSUCCESSFUL
    if command is None:
        return
    TENDER_MACHINE.check_state(obj_id=tender.id, state=tender.status, command=command)
    before, tender.status = tender.status, target
    tender.updated_at = now
    tender_event(session, tender, actor, now, command, before, {"lots": {lot.id: lot.status for lot in tender.lots}})


def advance_tender(
    session: Session,
    *,
    tender: Tender,
    command: str,
    target: str,
    actor: Actor,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Apply a tender transition decided by another context's command (e.g. open_bids, invite_tenderers)."""
    tr = TENDER_MACHINE.transitions[command]
    if target not in tr.targets:
        raise ValueError(f"{command} cannot lead to {target}")
    before, tender.status = tender.status, target
    tender.updated_at = now
    tender_event(session, tender, actor, now, command, before, payload or {})


def require_buyer_staff(actor: Actor, tender: Tender, *roles: Role) -> None:
    """PermissionDenied unless the actor is one of ``roles`` in the tender's buying organization."""
    _require_buyer_staff(actor, tender.buyer_id, *roles)


def invite(session: Session, *, tender: Tender, supplier_id: str, now: datetime, basis: str) -> None:
    """Record that ``supplier_id`` may bid on ``tender``."""
    session.add(m.Invitation(tender_id=tender.id, supplier_id=supplier_id, invited_at=now, basis=basis))


def bidders_restricted(tender: Tender) -> bool:
    """True when only invited suppliers may bid (after prequalification, or within a framework)."""
    _, rules = tender_rules(tender)
    return "prequalification" in rules.steps or tender.framework_id is not None


def is_invited(session: Session, *, tender: Tender, supplier_id: str) -> bool:
    """Whether the supplier holds an invitation to bid."""
    row = session.scalar(
        select(m.Invitation.id).where(m.Invitation.tender_id == tender.id, m.Invitation.supplier_id == supplier_id)
    )
    return row is not None

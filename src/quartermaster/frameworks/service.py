"""Framework use cases: conclude from an awarded framework tender, read, terminate, expire (call-offs live in
``call_offs``).

Services never commit. A framework is its own process: its events, and the contracts of its direct orders, carry
the framework's id as process id; the lot and tender transitions of concluding stay in the tender's process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.awards import service as awards
from quartermaster.awards.models import ACTIVE as AWARD_ACTIVE
from quartermaster.awards.models import Award
from quartermaster.contracts import service as contracts
from quartermaster.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import record_transition
from quartermaster.frameworks import models as m
from quartermaster.frameworks.models import FRAMEWORK_MACHINE, CatalogueItem, Framework
from quartermaster.rules import ProcedureRules
from quartermaster.tenders import access
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import TENDER_MACHINE, Lot, Tender

FRAMEWORK = "framework"
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, half to even."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


# --- reading -------------------------------------------------------------------------------------------------


def get_framework(session: Session, framework_id: str, *, for_update: bool = False) -> Framework:
    """A framework (frameworks and their catalogues are public)."""
    stmt = select(Framework).where(Framework.id == framework_id)
    if for_update:
        stmt = stmt.with_for_update()
    fw = session.scalar(stmt)
    if fw is None:
        raise NotFound("framework not found", code="framework.not_found")
    return fw


def list_frameworks(
    session: Session,
    *,
    actor: Actor | None,
    status: str | None,
    buyer_id: str | None,
    tender_id: str | None,
    after: str | None,
    limit: int,
) -> Sequence[Framework]:
    """Frameworks in keyset pages on id, filtered; classified ones only for those cleared for them."""
    stmt = select(Framework).order_by(Framework.id).limit(limit)
    if after:
        stmt = stmt.where(Framework.id > after)
    if status:
        stmt = stmt.where(Framework.status == status)
    if buyer_id:
        stmt = stmt.where(Framework.buyer_id == buyer_id)
    if tender_id:
        stmt = stmt.where(Framework.tender_id == tender_id)
    return session.scalars(stmt.where(access.visible_filter(actor, "framework"))).all()


def allowed_commands(fw: Framework) -> list[str]:
    """Commands the framework's state allows (before role checks)."""
    return FRAMEWORK_MACHINE.allowed(fw.status)


# --- guards and events ---------------------------------------------------------------------------------------


def require_buyer_staff(actor: Actor, fw: Framework, *roles: Role) -> None:
    """PermissionDenied unless the actor holds one of ``roles`` in the framework's buying organization."""
    if actor.role not in roles:
        raise PermissionDenied(
            f"role '{actor.role}' may not do this", code="auth.role_forbidden", allowed_roles=[r.value for r in roles]
        )
    if actor.organization_id != fw.buyer_id:
        raise PermissionDenied("only the buyer's own staff may do this", code="auth.not_party")


def record(
    session: Session,
    fw: Framework,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> None:
    """Append a framework event (the framework's id is its process id) in the current transaction."""
    record_transition(
        session,
        FRAMEWORK_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=fw.id,
        process_id=fw.id,
        before=before,
        after=fw.status,
        payload=payload,
        occurred_at=occurred_at,
    )


def _add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February in a year without one
        return when.replace(year=when.year + years, day=28)


# --- concluding ----------------------------------------------------------------------------------------------


def conclude_framework(session: Session, *, actor: Actor, now: datetime, tender_id: str, end: datetime) -> Framework:
    """Conclude the framework agreement of an awarded framework tender once every standstill has ended: the
    awarded bids become parties and catalogue lines, the lots complete and the tender completes."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    FRAMEWORK_MACHINE.check(obj_id="new", state=m.NONE, command="conclude_framework", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    if tender.procedure != FRAMEWORK:
        raise RuleViolation(
            f"a '{tender.procedure}' tender does not lead to a framework agreement",
            code="framework.wrong_procedure",
            procedure=tender.procedure,
        )
    if tender.status != tm.AWARDED:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id,
            state=tender.status,
            command="conclude_framework",
            reason="a framework is concluded once the tender is awarded",
        )
    _, rules = tenders.tender_rules(tender)
    active = [a for a in awards.list_awards(session, actor=actor, tender_id=tender.id) if a.status == AWARD_ACTIVE]
    waiting = [a.standstill_end for a in active if a.standstill_end is not None and a.standstill_end > now]
    if waiting:
        raise RuleViolation(
            "the standstill period has not ended", code="framework.standstill", standstill_end=max(waiting)
        )
    _check_end(rules, now, end)
    awarded_lots = [lot for lot in tender.lots if lot.status == tm.LOT_AWARDED]
    by_lot = {lot.id: [a for a in active if a.lot_id == lot.id] for lot in awarded_lots}
    _check_parties(rules, by_lot)
    assert tender.rulebook_version is not None
    fw = Framework(
        tender_id=tender.id,
        buyer_id=tender.buyer_id,
        title=tender.title,
        status=m.ACTIVE,
        rulebook_version=tender.rulebook_version,
        start=now,
        end=end,
        currency=tender.currency,
        max_value=tender.value_amount,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    for lot in awarded_lots:
        _add_lot(session, fw, tender, lot, by_lot[lot.id])
    session.add(fw)
    session.flush()
    for lot in awarded_lots:
        tenders.transition_lot(
            session,
            tender=tender,
            lot=lot,
            command="complete_lot",
            target=tm.LOT_COMPLETE,
            actor=actor,
            now=now,
            payload={"framework_id": fw.id},
        )
    tenders.settle_tender(session, tender=tender, actor=actor, now=now)
    record(
        session,
        fw,
        actor,
        now,
        "conclude_framework",
        None,
        {
            "tender_id": tender.id,
            "start": now,
            "end": end,
            "max_value": {"amount": fw.max_value, "currency": fw.currency},
            "parties": [
                {"supplier_id": p.supplier_id, "lot_id": p.lot_id, "award_id": p.award_id, "position": p.position}
                for p in fw.parties
            ],
        },
    )
    return fw


def _check_end(rules: ProcedureRules, now: datetime, end: datetime) -> None:
    if end <= now:
        raise ValidationFailed(
            "the framework must end in the future", errors=[{"field": "end", "message": "must be later than now"}]
        )
    years = rules.extra.get("max_duration_years")
    if isinstance(years, int) and end > _add_years(now, years):
        raise RuleViolation(
            f"a framework may last at most {years} years",
            code="framework.too_long",
            max_duration_years=years,
            latest_end=_add_years(now, years),
        )


def _check_parties(rules: ProcedureRules, by_lot: dict[str, list[Award]]) -> None:
    minimum = rules.extra.get("min_parties_if_multiple")
    if not isinstance(minimum, int):
        return
    short = {lot_id: len(aws) for lot_id, aws in by_lot.items() if 1 < len(aws) < minimum}
    if short:
        raise RuleViolation(
            f"a framework with several parties needs at least {minimum} on each lot",
            code="framework.too_few_parties",
            min_parties=minimum,
            parties_per_lot=short,
        )


def _add_lot(session: Session, fw: Framework, tender: Tender, lot: Lot, lot_awards: list[Award]) -> None:
    """Parties in ranking order and each party's catalogue: its awarded value spread over the lot's items."""
    ranking = [r.bid.id for r in awards.rank_lot(session, tender=tender, lot_id=lot.id)]

    def rank(aw: Award) -> tuple[int, str]:
        return (ranking.index(aw.bid_id) if aw.bid_id in ranking else len(ranking), aw.id)

    terms = [
        contracts.ItemTerms(
            item_id=i.id, description=i.description, cpv=i.cpv, nsn=i.nsn, unit=i.unit, quantity=i.quantity
        )
        for i in lot.items
    ]
    for position, aw in enumerate(sorted(lot_awards, key=rank), start=1):
        fw.parties.append(
            m.FrameworkParty(supplier_id=aw.supplier_id, award_id=aw.id, lot_id=lot.id, position=position)
        )
        prices = contracts.allocate_unit_prices(aw.value_amount, terms)
        for item, price in zip(lot.items, prices, strict=True):
            fw.catalogue.append(
                CatalogueItem(
                    supplier_id=aw.supplier_id,
                    lot_id=lot.id,
                    item_id=item.id,
                    position=item.position,
                    description=item.description,
                    cpv=item.cpv,
                    nsn=item.nsn,
                    unit=item.unit,
                    unit_price=price,
                    currency=fw.currency,
                    max_quantity=item.quantity,
                )
            )


# --- ending --------------------------------------------------------------------------------------------------


def terminate_framework(session: Session, *, actor: Actor, now: datetime, framework_id: str, reason: str) -> Framework:
    """End an active framework early (an approver of the buyer); call-offs already placed stand."""
    fw = get_framework(session, framework_id, for_update=True)
    FRAMEWORK_MACHINE.check(obj_id=fw.id, state=fw.status, command="terminate_framework", actor=actor)
    require_buyer_staff(actor, fw, Role.APPROVER)
    before, fw.status = fw.status, m.TERMINATED
    fw.status_reason, fw.updated_at = reason, now
    record(session, fw, actor, now, "terminate_framework", before, {"reason": reason})
    return fw


def due_framework_expiries(session: Session, *, now: datetime, limit: int = 100) -> list[tuple[datetime, str, str]]:
    """Active frameworks whose end has passed: ``(end, "expire_framework", framework_id)``, oldest first."""
    rows = session.execute(
        select(Framework.end, Framework.id)
        .where(Framework.status == m.ACTIVE, Framework.end <= now)
        .order_by(Framework.end, Framework.id)
        .limit(limit)
    ).all()
    return [(end, "expire_framework", fid) for end, fid in rows]


def expire_framework(session: Session, *, actor: Actor, now: datetime, object_id: str) -> Framework:
    """The scheduler closes a framework at its end; the event carries the end as its effective time."""
    fw = get_framework(session, object_id, for_update=True)
    FRAMEWORK_MACHINE.check(obj_id=fw.id, state=fw.status, command="expire_framework", actor=actor)
    if now < fw.end:
        raise FRAMEWORK_MACHINE.refuse(
            obj_id=fw.id,
            state=fw.status,
            command="expire_framework",
            reason=f"the framework ends at {fw.end.isoformat()}",
        )
    before, fw.status = fw.status, m.EXPIRED
    fw.updated_at = now
    record(session, fw, actor, now, "expire_framework", before, {"end": fw.end}, occurred_at=fw.end)
    return fw

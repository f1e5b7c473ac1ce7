"""Prequalification in the selective procedure: requests to participate, their review, and the invitation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.bids import service
from quartermaster.bids.models import APPLIED, CANDIDACY_MACHINE, QUALIFIED, Candidacy
from quartermaster.errors import Conflict, NotFound, RuleViolation
from quartermaster.events.service import record_transition
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import TENDER_MACHINE, Tender

# --- prequalification (selective procedure) ------------------------------------------------------------------


def apply_to_participate(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, statement: str | None
) -> Candidacy:
    """Request to participate while prequalification is open."""
    supplier_id = service.supplier_of(actor)
    tender = tenders.get_tender(session, tender_id, actor=actor)
    CANDIDACY_MACHINE.check(obj_id="new", state="none", command="apply_to_participate", actor=actor)
    if tender.status != tm.PREQUALIFICATION:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id,
            state=tender.status,
            command="apply_to_participate",
            reason="requests to participate are accepted during prequalification",
        )
    assert tender.prequalification_end is not None
    if now >= tender.prequalification_end:
        raise RuleViolation("prequalification has ended", code="candidacy.deadline_passed")
    if session.scalar(
        select(Candidacy.id).where(Candidacy.tender_id == tender.id, Candidacy.supplier_id == supplier_id)
    ):
        raise Conflict("this supplier has already applied", code="candidacy.duplicate")
    cand = Candidacy(
        tender_id=tender.id,
        supplier_id=supplier_id,
        submitted_by=actor.user_id,
        status=APPLIED,
        statement=statement,
        applied_at=now,
    )
    session.add(cand)
    session.flush()
    _candidacy_event(session, cand, actor, now, "apply_to_participate", None, {"statement": statement})
    return cand


def decide_candidacy(
    session: Session, *, actor: Actor, now: datetime, candidacy_id: str, qualify: bool, reason: str
) -> Candidacy:
    """Qualify or reject a candidate after prequalification closes."""
    cand = session.get(Candidacy, candidacy_id)
    if cand is None:
        raise NotFound("candidacy not found", code="candidacy.not_found")
    tender = tenders.get_tender(session, cand.tender_id, actor=actor, for_update=True)
    command = "qualify_candidate" if qualify else "reject_candidate"
    CANDIDACY_MACHINE.check(obj_id=cand.id, state=cand.status, command=command, actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER, Role.EVALUATOR)
    if tender.status != tm.PREQUALIFICATION_REVIEW:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id,
            state=tender.status,
            command=command,
            reason="candidates are reviewed after prequalification ends",
        )
    before = cand.status
    cand.status = QUALIFIED if qualify else "rejected"
    cand.decided_at, cand.decision_reason = now, reason
    _candidacy_event(session, cand, actor, now, command, before, {"reason": reason})
    return cand


def invite_tenderers(session: Session, *, actor: Actor, now: datetime, tender_id: str, tender_end: datetime) -> Tender:
    """Invite every qualified candidate and open the tender period; too few candidates fail the tender."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="invite_tenderers", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    book, rules = tenders.tender_rules(tender)
    pending = session.scalar(
        select(func.count()).select_from(Candidacy).where(Candidacy.tender_id == tender.id, Candidacy.status == APPLIED)
    )
    if pending:
        raise RuleViolation(f"{pending} candidacies are still undecided", code="candidacy.undecided")
    qualified = session.scalars(
        select(Candidacy)
        .where(Candidacy.tender_id == tender.id, Candidacy.status == QUALIFIED)
        .order_by(Candidacy.applied_at)
    ).all()
    if len(qualified) < rules.min_bids:
        for lot in tender.lots:
            tenders.transition_lot(
                session,
                tender=tender,
                lot=lot,
                command="declare_lot_unsuccessful",
                target=tm.LOT_UNSUCCESSFUL,
                actor=actor,
                now=now,
                payload={"reason": "too_few_candidates"},
            )
        tenders.advance_tender(
            session,
            tender=tender,
            command="invite_tenderers",
            target=tm.UNSUCCESSFUL,
            actor=actor,
            now=now,
            payload={"qualified": len(qualified)},
        )
        return tender
    if rules.tender_period is not None and not book.calendar().meets(now, tender_end, rules.tender_period):
        earliest = book.calendar().add(now, rules.tender_period)
        raise RuleViolation(
            f"the tender period must end no earlier than {earliest.isoformat()}",
            code="tender.rules_not_met",
            errors=[{"field": "tender_end", "message": f"earliest {earliest.isoformat()}"}],
        )
    for cand in qualified:
        tenders.invite(session, tender=tender, supplier_id=cand.supplier_id, now=now, basis="prequalification")
    tender.tender_start, tender.tender_end = now, tender_end
    tenders.advance_tender(
        session,
        tender=tender,
        command="invite_tenderers",
        target=tm.TENDERING,
        actor=actor,
        now=now,
        payload={"invited": [c.supplier_id for c in qualified], "tender_end": tender_end},
    )
    return tender


def list_candidacies(session: Session, *, actor: Actor | None, tender_id: str) -> Sequence[Candidacy]:
    """Candidacies visible to the caller: a supplier sees its own; the buyer side and auditors see all."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    stmt = select(Candidacy).where(Candidacy.tender_id == tender.id).order_by(Candidacy.applied_at)
    if actor is None:
        stmt = stmt.where(Candidacy.status != APPLIED)
    elif actor.role is Role.SUPPLIER:
        stmt = stmt.where(Candidacy.supplier_id == actor.organization_id)
    elif not (actor.role is Role.AUDITOR or actor.organization_id == tender.buyer_id):
        stmt = stmt.where(Candidacy.status != APPLIED)
    return session.scalars(stmt).all()


def _candidacy_event(
    session: Session,
    cand: Candidacy,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, Any],
) -> None:
    record_transition(
        session,
        CANDIDACY_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=cand.id,
        process_id=cand.tender_id,
        before=before,
        after=cand.status,
        payload=payload,
    )

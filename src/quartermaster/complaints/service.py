"""Complaint use cases: filing within the rulebook's windows, the buyer's answer to a claim, the review body's
admission and decision, withdrawal, and the buyer's resolution of a satisfied complaint (checked, not trusted).

Classified processes keep complaint rights: a complaint takes the process's marking and is read only by the
complainant's and the buyer's staff (each cleared for the process, as ``tenders.access`` decides) and by members
of the review body cleared at least to the marking. Anyone else is told the complaint does not exist. Every step
is an event in the same transaction; events carry SHA-256 digests of the texts, so the texts of a classified
complaint never reach the event log, the operational event routes or publication (complaint events have no OCDS
release tags: ``publication`` never turns them into releases).

A complaint is against a whole decision, and its effect reaches this layer's callers through
``blocking_complaints``: an unresolved complaint holds up the signature of the contracts it concerns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.awards.models import CANCELLED as AWARD_CANCELLED
from quartermaster.awards.models import Award
from quartermaster.bids.models import DISQUALIFIED, VALID, Bid
from quartermaster.complaints.models import (
    ACCEPTED,
    AGAINST_AWARD,
    AGAINST_DISQUALIFICATION,
    AGAINST_TENDER,
    CLAIM,
    CLAIM_COMMANDS,
    COMPLAINT,
    COMPLAINT_COMMANDS,
    COMPLAINT_MACHINE,
    CORRECTIONS,
    PENDING,
    REJECTED,
    RESOLVED,
    SATISFIED,
    STOPPED,
    UNRESOLVED,
    Complaint,
)
from quartermaster.complaints.schemas import ClaimAnswer, ComplaintCreate, ComplaintDecision
from quartermaster.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from quartermaster.events.models import Event
from quartermaster.events.service import record_transition
from quartermaster.identity.models import Organization
from quartermaster.tenders import access
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.types import max_marking

BUYER_ACTS = (Role.BUYER, Role.APPROVER)
# A tender's conditions may be complained about while the tender is still open for bids (Prozorro: before the
# tender period ends).
CONDITIONS_OPEN = (tm.PREQUALIFICATION, tm.PREQUALIFICATION_REVIEW, tm.ENQUIRIES, tm.TENDERING)


def digest(text: str | None) -> str | None:
    """SHA-256 of a text, for the event log (the text itself stays in the complaint row)."""
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


# --- who may read --------------------------------------------------------------------------------------------------


def marking_of(session: Session, complaint: Complaint) -> str:
    """The complaint's marking: as filed, raised to the process's current ceiling if that has risen since."""
    return max_marking(complaint.marking, access.ceiling(session, complaint.tender_id))


def _may_read(session: Session, actor: Actor | None, complaint: Complaint, tender: Tender, marking: str) -> bool:
    if actor is not None and actor.is_system:
        return True
    if marking == access.PUBLIC:
        return True  # complaints about public processes are public, as on Prozorro
    if actor is None:
        return False
    if actor.role is Role.REVIEWER:
        return marking in access.cleared_markings(actor)
    own = actor.role is Role.SUPPLIER and actor.organization_id == complaint.complainant_id
    buyer = actor.role in tenders.BUYER_SIDE and actor.organization_id == tender.buyer_id
    return (own or buyer) and access.may_view(session, actor, tender.id)


def _load(session: Session, actor: Actor | None, complaint_id: str, *, for_update: bool = False) -> Complaint:
    """A complaint ``actor`` may read (its tender locked first when ``for_update``); NotFound otherwise."""
    tender_id = session.scalar(select(Complaint.tender_id).where(Complaint.id == complaint_id))
    if tender_id is None:
        raise NotFound("complaint not found", code="complaint.not_found")
    # Lock order tender, then complaint: signatures and awards lock the tender first too.
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=for_update)
    stmt = select(Complaint).where(Complaint.id == complaint_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    complaint = session.scalars(stmt).one()  # complaints are never deleted
    if not _may_read(session, actor, complaint, tender, marking_of(session, complaint)):
        raise NotFound("complaint not found", code="complaint.not_found")
    return complaint


def get_complaint(session: Session, *, actor: Actor | None, complaint_id: str) -> Complaint:
    """One complaint, to those who may read it."""
    return _load(session, actor, complaint_id)


def list_complaints(session: Session, *, actor: Actor | None, tender_id: str) -> list[Complaint]:
    """A tender's complaints that ``actor`` may read, oldest first."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    ceiling = access.ceiling(session, tender.id)
    rows = session.scalars(
        select(Complaint).where(Complaint.tender_id == tender.id).order_by(Complaint.filed_at, Complaint.id)
    ).all()
    return [c for c in rows if _may_read(session, actor, c, tender, max_marking(c.marking, ceiling))]


def review_queue(session: Session, *, actor: Actor, statuses: Sequence[str], limit: int = 200) -> list[Complaint]:
    """The review body's work: complaints (not claims) in ``statuses`` the reviewer is cleared for, oldest first."""
    if actor.role is not Role.REVIEWER:
        raise PermissionDenied("only members of the review body read its queue", code="auth.role_forbidden")
    rows = session.scalars(
        select(Complaint)
        .where(Complaint.kind == COMPLAINT, Complaint.status.in_(statuses))
        .order_by(Complaint.filed_at, Complaint.id)
    ).all()
    cleared = access.cleared_markings(actor)
    return [c for c in rows if marking_of(session, c) in cleared][:limit]


# --- filing --------------------------------------------------------------------------------------------------------


def file_complaint(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, spec: ComplaintCreate
) -> Complaint:
    """A supplier files a claim or complaint; refused outside its window or by a supplier who is not a party."""
    COMPLAINT_MACHINE.check(obj_id="new", state="none", command="file_complaint", actor=actor)
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    access.require_view(session, actor, tender.id)
    org = session.get(Organization, actor.organization_id) if actor.organization_id else None
    if org is None or "supplier" not in org.party_roles:
        raise PermissionDenied("only a registered supplier may complain", code="complaint.not_a_supplier")
    if spec.against == AGAINST_TENDER:
        window_end = _conditions_window(tender, now)
    elif spec.against == AGAINST_AWARD:
        assert spec.award_id is not None  # the schema requires it
        window_end = _award_window(session, tender, org.id, spec.award_id, now)
    else:
        assert spec.bid_id is not None  # the schema requires it
        window_end = _disqualification_window(session, tender, org.id, spec.bid_id, now)
    complaint = Complaint(
        tender_id=tender.id,
        kind=spec.kind,
        against=spec.against,
        award_id=spec.award_id,
        bid_id=spec.bid_id,
        complainant_id=org.id,
        filed_by=actor.user_id,
        filed_at=now,
        window_end=window_end,
        marking=access.ceiling(session, tender.id),
        status=PENDING,
        title=spec.title,
        description=spec.description,
        updated_at=now,
    )
    session.add(complaint)
    session.flush()
    _event(
        session,
        complaint,
        actor,
        now,
        "file_complaint",
        None,
        {
            "kind": complaint.kind,
            "against": complaint.against,
            "award_id": complaint.award_id,
            "bid_id": complaint.bid_id,
            "complainant_id": complaint.complainant_id,
            "marking": complaint.marking,
            "window_end": window_end,
            "title_sha256": digest(spec.title),
            "description_sha256": digest(spec.description),
        },
    )
    return complaint


def _closed(against: str, window_start: datetime | None, window_end: datetime | None, now: datetime) -> RuleViolation:
    end = window_end.isoformat() if window_end else "-"
    return RuleViolation(
        f"the window for complaints against this {against} ran until {end}; it is {now.isoformat()}",
        code="complaint.window_closed",
        against=against,
        window_start=window_start,
        window_end=window_end,
    )


def _conditions_window(tender: Tender, now: datetime) -> datetime:
    """Conditions may be complained about until the tender period ends."""
    if tender.tender_end is None:
        raise RuleViolation(
            f"procedure '{tender.procedure}' has no tender period, so no window for complaints about its conditions",
            code="complaint.no_window",
            against=AGAINST_TENDER,
        )
    if tender.status not in CONDITIONS_OPEN or now >= tender.tender_end:
        raise _closed(AGAINST_TENDER, tender.published_at, tender.tender_end, now)
    return tender.tender_end


def _award_window(session: Session, tender: Tender, org_id: str, award_id: str, now: datetime) -> datetime:
    """A bidder on the lot other than the winner, within the rulebook's complaint window after the award."""
    award = session.get(Award, award_id)
    if award is None or award.tender_id != tender.id:
        raise NotFound("award not found on this tender", code="award.not_found")
    if award.status == AWARD_CANCELLED:
        raise Conflict("the award is cancelled; there is nothing to complain about", code="complaint.award_cancelled")
    if award.supplier_id == org_id:
        raise PermissionDenied("a supplier does not complain about its own award", code="complaint.own_award")
    bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id, Bid.supplier_id == org_id))
    if bid is None or bid.status not in (VALID, DISQUALIFIED) or bid.value_for(award.lot_id) is None:
        raise PermissionDenied(
            "only a supplier whose opened bid competed for the lot may complain about its award",
            code="complaint.not_a_bidder",
        )
    if award.complaint_end is None:
        raise RuleViolation(
            f"procedure '{tender.procedure}' has no complaint window for awards",
            code="complaint.no_window",
            against=AGAINST_AWARD,
        )
    if now > award.complaint_end:
        raise _closed(AGAINST_AWARD, award.decided_at, award.complaint_end, now)
    return award.complaint_end


def _disqualification_window(session: Session, tender: Tender, org_id: str, bid_id: str, now: datetime) -> datetime:
    """The complainant's own disqualified bid, within the procedure's complaint window after the disqualification."""
    bid = session.get(Bid, bid_id)
    if bid is None or bid.tender_id != tender.id:
        raise NotFound("bid not found on this tender", code="bid.not_found")
    if bid.supplier_id != org_id:
        raise PermissionDenied("a supplier complains only about its own bid's disqualification", code="auth.not_party")
    if bid.status != DISQUALIFIED:
        raise Conflict("the bid is not disqualified", code="complaint.bid_not_disqualified", bid_status=bid.status)
    disqualified_at = session.scalar(
        select(Event.occurred_at)
        .where(Event.object_id == bid.id, Event.event_type == "BidDisqualified")
        .order_by(Event.seq.desc())
        .limit(1)
    )
    book, rules = tenders.tender_rules(tender)
    if rules.complaint_window is None or disqualified_at is None:
        raise RuleViolation(
            f"procedure '{tender.procedure}' has no complaint window",
            code="complaint.no_window",
            against=AGAINST_DISQUALIFICATION,
        )
    end = book.calendar().add(disqualified_at, rules.complaint_window)
    if now > end:
        raise _closed(AGAINST_DISQUALIFICATION, disqualified_at, end, now)
    return end


# --- the steps after filing ----------------------------------------------------------------------------------------


def _check(complaint: Complaint, command: str, actor: Actor) -> None:
    """Role and state from the machine, then whether the command applies to the complaint's kind."""
    COMPLAINT_MACHINE.check(obj_id=complaint.id, state=complaint.status, command=command, actor=actor)
    applies = CLAIM_COMMANDS if complaint.kind == CLAIM else COMPLAINT_COMMANDS
    if command not in applies:
        heard_by = "the buyer answers claims" if complaint.kind == CLAIM else "the review body decides complaints"
        raise COMPLAINT_MACHINE.refuse(obj_id=complaint.id, state=complaint.status, command=command, reason=heard_by)


def _require_buyer(session: Session, actor: Actor, complaint: Complaint) -> Tender:
    tender = tenders.get_tender(session, complaint.tender_id, actor=actor)
    tenders.require_buyer_staff(actor, tender, *BUYER_ACTS)
    return tender


def _require_independent(session: Session, actor: Actor, complaint: Complaint) -> None:
    """A reviewer from the buyer's or the complainant's own organization may not hear the complaint."""
    tender = tenders.get_tender(session, complaint.tender_id, actor=actor)
    if actor.organization_id is not None and actor.organization_id in (tender.buyer_id, complaint.complainant_id):
        raise PermissionDenied(
            "a reviewer may not hear a complaint involving its own organization", code="complaint.conflict"
        )


def answer_claim(session: Session, *, actor: Actor, now: datetime, complaint_id: str, spec: ClaimAnswer) -> Complaint:
    """The buyer answers a claim: resolved (it agrees and will act) or declined."""
    complaint = _load(session, actor, complaint_id, for_update=True)
    _check(complaint, "answer_claim", actor)
    _require_buyer(session, actor, complaint)
    before = complaint.status
    complaint.status, complaint.answer = spec.resolution, spec.answer
    complaint.answered_by, complaint.answered_at, complaint.updated_at = actor.user_id, now, now
    _event(session, complaint, actor, now, "answer_claim", before, {"answer_sha256": digest(spec.answer)})
    return complaint


def admit_complaint(
    session: Session, *, actor: Actor, now: datetime, complaint_id: str, admissible: bool, reason: str
) -> Complaint:
    """The review body accepts a complaint for review, or rejects it as inadmissible."""
    command = "accept_complaint" if admissible else "reject_complaint"
    complaint = _load(session, actor, complaint_id, for_update=True)
    _check(complaint, command, actor)
    _require_independent(session, actor, complaint)
    before = complaint.status
    complaint.status = ACCEPTED if admissible else REJECTED
    complaint.admissibility_reason, complaint.admitted_by, complaint.admitted_at = reason, actor.user_id, now
    complaint.updated_at = now
    _event(session, complaint, actor, now, command, before, {"reason_sha256": digest(reason)})
    return complaint


def decide_complaint(
    session: Session, *, actor: Actor, now: datetime, complaint_id: str, spec: ComplaintDecision
) -> Complaint:
    """The review body decides an accepted complaint; a satisfied one records the correction the buyer owes."""
    complaint = _load(session, actor, complaint_id, for_update=True)
    _check(complaint, "decide_complaint", actor)
    _require_independent(session, actor, complaint)
    before = complaint.status
    complaint.status, complaint.decision_reason = spec.outcome, spec.reason
    complaint.decided_by, complaint.decided_at, complaint.updated_at = actor.user_id, now, now
    if spec.outcome == SATISFIED:
        complaint.required_action, complaint.correction = CORRECTIONS[complaint.against], spec.correction
    _event(
        session,
        complaint,
        actor,
        now,
        "decide_complaint",
        before,
        {
            "outcome": spec.outcome,
            "reason_sha256": digest(spec.reason),
            "required_action": complaint.required_action,
            "correction_sha256": digest(spec.correction),
        },
    )
    return complaint


def withdraw_complaint(session: Session, *, actor: Actor, now: datetime, complaint_id: str, reason: str) -> Complaint:
    """The complainant withdraws its claim or complaint before it is decided (stopped)."""
    complaint = _load(session, actor, complaint_id, for_update=True)
    _check(complaint, "withdraw_complaint", actor)
    if actor.organization_id != complaint.complainant_id:
        raise PermissionDenied("only the complainant may withdraw a complaint", code="auth.not_party")
    before = complaint.status
    complaint.status, complaint.withdrawal_reason, complaint.updated_at = STOPPED, reason, now
    _event(session, complaint, actor, now, "withdraw_complaint", before, {"reason_sha256": digest(reason)})
    return complaint


def resolve_complaint(
    session: Session, *, actor: Actor, now: datetime, complaint_id: str, resolution: str
) -> Complaint:
    """The buyer reports a satisfied complaint carried out; refused until the required correction is in place."""
    complaint = _load(session, actor, complaint_id, for_update=True)
    _check(complaint, "resolve_complaint", actor)
    tender = _require_buyer(session, actor, complaint)
    evidence = _correction_made(session, complaint, tender)
    complaint.status, complaint.resolution = RESOLVED, resolution
    complaint.resolved_by, complaint.resolved_at, complaint.updated_at = actor.user_id, now, now
    _event(
        session,
        complaint,
        actor,
        now,
        "resolve_complaint",
        SATISFIED,
        {"resolution_sha256": digest(resolution), "required_action": complaint.required_action, **evidence},
    )
    return complaint


def _correction_made(session: Session, complaint: Complaint, tender: Tender) -> dict[str, Any]:
    """The state that proves the correction (recorded with the resolution); RuleViolation when it is missing."""
    evidence: dict[str, Any] = {"tender_status": tender.status}
    done = tender.status == tm.CANCELLED
    if complaint.against == AGAINST_AWARD and complaint.award_id is not None:
        award = session.get(Award, complaint.award_id)
        evidence["award_status"] = award.status if award else None
        done = done or (award is not None and award.status == AWARD_CANCELLED)
    elif complaint.against == AGAINST_DISQUALIFICATION and complaint.bid_id is not None:
        bid = session.get(Bid, complaint.bid_id)
        evidence["bid_status"] = bid.status if bid else None
        done = done or (bid is not None and bid.status != DISQUALIFIED)
    if not done:
        raise RuleViolation(
            f"the decision requires '{complaint.required_action}' (or cancelling the tender) before the complaint "
            "can be resolved",
            code="complaint.correction_missing",
            required_action=complaint.required_action,
            **evidence,
        )
    return evidence


def _event(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, Any],
) -> None:
    record_transition(
        session,
        COMPLAINT_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=complaint.id,
        process_id=complaint.tender_id,
        before=before,
        after=complaint.status,
        payload={"kind": complaint.kind, **payload},
    )
    session.flush()  # the answer shows the row's new version


# --- effects on other contexts -------------------------------------------------------------------------------------


def blocking_complaints(session: Session, *, tender_id: str, award_id: str | None) -> list[str]:
    """Ids of the unresolved claims and complaints that hold up the contract of ``award_id`` in ``tender_id``: those
    against that award, against the tender's conditions, or against a disqualification in the tender."""
    concerns = Complaint.against != AGAINST_AWARD
    if award_id is not None:
        concerns = or_(concerns, Complaint.award_id == award_id)
    return list(
        session.scalars(
            select(Complaint.id)
            .where(Complaint.tender_id == tender_id, Complaint.status.in_(UNRESOLVED), concerns)
            .order_by(Complaint.filed_at, Complaint.id)
        )
    )

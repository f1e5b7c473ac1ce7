"""Running periods: the period ends the scheduler applies, and enquiries with their cut-off and extension rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.errors import NotFound, RuleViolation, ValidationFailed
from quartermaster.events.service import record_event
from quartermaster.tenders import models as m
from quartermaster.tenders import service
from quartermaster.tenders.models import TENDER_MACHINE, Enquiry, Tender
from quartermaster.tenders.schemas import QuestionIn

# --- periods (applied by the scheduler at the period's own end time) -------------------------------------------


def end_prequalification(session: Session, *, actor: Actor, now: datetime, tender_id: str) -> Tender:
    """Close the call for candidates; the buyer now reviews them."""
    tender = service.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="end_prequalification", actor=actor)
    assert tender.prequalification_end is not None
    _guard_time(tender, "end_prequalification", now, tender.prequalification_end)
    before, tender.status = tender.status, m.PREQUALIFICATION_REVIEW
    tender.updated_at = now
    service.tender_event(
        session, tender, actor, now, "end_prequalification", before, {}, occurred_at=tender.prequalification_end
    )
    return tender


def end_enquiry_period(session: Session, *, actor: Actor, now: datetime, tender_id: str) -> Tender:
    """Move from the enquiry period into tendering."""
    tender = service.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="end_enquiry_period", actor=actor)
    assert tender.enquiry_end is not None
    _guard_time(tender, "end_enquiry_period", now, tender.enquiry_end)
    before, tender.status = tender.status, m.TENDERING
    tender.tender_start = tender.enquiry_end
    tender.updated_at = now
    service.tender_event(session, tender, actor, now, "end_enquiry_period", before, {}, occurred_at=tender.enquiry_end)
    return tender


def end_tender_period(session: Session, *, actor: Actor, now: datetime, tender_id: str) -> Tender:
    """Close bidding, unless questions are still unanswered: then the period is extended (rulebook)."""
    tender = service.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="end_tender_period", actor=actor)
    assert tender.tender_end is not None
    deadline = tender.tender_end
    _guard_time(tender, "end_tender_period", now, deadline)
    book, rules = service.tender_rules(tender)
    unanswered = session.scalars(
        select(Enquiry.id).where(Enquiry.tender_id == tender.id, Enquiry.answer.is_(None))
    ).all()
    if unanswered and rules.unanswered_question_extension is not None:
        tender.tender_end = book.calendar().add(deadline, rules.unanswered_question_extension)
        payload: dict[str, Any] = {"extended_to": tender.tender_end, "unanswered": list(unanswered)}
    else:
        tender.status = m.OPENING
        payload = {}
    tender.updated_at = now
    service.tender_event(session, tender, actor, now, "end_tender_period", m.TENDERING, payload, occurred_at=deadline)
    return tender


def _guard_time(tender: Tender, command: str, now: datetime, due: datetime) -> None:
    if now < due:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command=command, reason=f"the period ends at {due.isoformat()}"
        )


def due_deadlines(session: Session, *, now: datetime, limit: int = 100) -> list[tuple[datetime, str, str]]:
    """Tender period ends that are due: ``(due_at, command, tender_id)``, oldest first."""
    due: list[tuple[datetime, str, str]] = []
    for status, column, command in (
        (m.PREQUALIFICATION, Tender.prequalification_end, "end_prequalification"),
        (m.ENQUIRIES, Tender.enquiry_end, "end_enquiry_period"),
        (m.TENDERING, Tender.tender_end, "end_tender_period"),
    ):
        rows = session.execute(
            select(column, Tender.id).where(Tender.status == status, column <= now).order_by(column).limit(limit)
        ).all()
        due.extend((when, command, tid) for when, tid in rows if when is not None)
    due.sort()
    return due[:limit]


# --- enquiries -----------------------------------------------------------------------------------------------


def enquiry_cutoff(tender: Tender) -> datetime | None:
    """Questions close this long before the tender period ends (rulebook), or None if no cut-off applies."""
    if tender.tender_end is None:
        return None
    book, rules = service.tender_rules(tender)
    if rules.enquiry_cutoff is None:
        return tender.tender_end
    return book.calendar().subtract(tender.tender_end, rules.enquiry_cutoff)


def ask_question(session: Session, *, actor: Actor, now: datetime, tender_id: str, question: QuestionIn) -> Enquiry:
    """A supplier asks a question while enquiries are open."""
    tender = service.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="ask_question", actor=actor)
    cutoff = enquiry_cutoff(tender)
    if cutoff is not None and now >= cutoff:
        raise RuleViolation(
            f"questions closed at {cutoff.isoformat()}", code="tender.enquiries_closed", closed_at=cutoff
        )
    if question.lot_id is not None and tender.lot(question.lot_id) is None:
        raise ValidationFailed("no such lot", errors=[{"field": "lot_id", "message": "not a lot of this tender"}])
    assert actor.organization_id is not None
    enquiry = Enquiry(
        tender_id=tender.id,
        lot_id=question.lot_id,
        author_organization_id=actor.organization_id,
        author_user_id=actor.user_id,
        title=question.title,
        description=question.description,
        asked_at=now,
    )
    session.add(enquiry)
    session.flush()
    tender.updated_at = now
    record_event(
        session,
        actor=actor,
        now=now,
        command="ask_question",
        event_type="QuestionAsked",
        object_type="enquiry",
        object_id=enquiry.id,
        process_id=tender.id,
        before=None,
        after="asked",
        payload=question.model_dump(mode="json"),
    )
    return enquiry


def answer_question(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, enquiry_id: str, answer: str
) -> Enquiry:
    """The buyer answers; an answer given after the cut-off extends the tender period (rulebook)."""
    tender = service.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="answer_question", actor=actor)
    service.require_buyer_staff(actor, tender, Role.BUYER)
    enquiry = session.get(Enquiry, enquiry_id)
    if enquiry is None or enquiry.tender_id != tender.id:
        raise NotFound("question not found", code="enquiry.not_found")
    if enquiry.answer is not None:
        raise RuleViolation("the question is already answered", code="enquiry.already_answered")
    enquiry.answer, enquiry.answered_at, enquiry.answered_by = answer, now, actor.user_id
    payload: dict[str, Any] = {"answer": answer}
    cutoff = enquiry_cutoff(tender)
    if tender.status == m.TENDERING and cutoff is not None and now >= cutoff and tender.tender_end is not None:
        book, rules = service.tender_rules(tender)
        if rules.unanswered_question_extension is not None:
            floor = book.calendar().add(now, rules.unanswered_question_extension)
            if floor > tender.tender_end:
                tender.tender_end = floor
                payload["tender_end_extended_to"] = floor
    tender.updated_at = now
    record_event(
        session,
        actor=actor,
        now=now,
        command="answer_question",
        event_type="QuestionAnswered",
        object_type="enquiry",
        object_id=enquiry.id,
        process_id=tender.id,
        before="asked",
        after="answered",
        payload=payload,
    )
    return enquiry


def list_enquiries(session: Session, tender: Tender) -> Sequence[Enquiry]:
    """Questions of a tender in the order they were asked."""
    return session.scalars(
        select(Enquiry).where(Enquiry.tender_id == tender.id).order_by(Enquiry.asked_at, Enquiry.id)
    ).all()

"""Abnormally low prices: the buyer asks the supplier to justify its price; the supplier answers.

An award to an abnormally low bid (ratio x median compliant price, rulebook ``[evaluation]``) is refused until the
request has been answered (``award.abnormally_low_unjustified``). Judging the answer stays with the approver: an
unconvincing explanation is a reason to disqualify the bid.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.awards import methods
from quartermaster.awards.models import ANSWERED, JUSTIFICATION_MACHINE, REQUESTED, JustificationRequest
from quartermaster.awards.ranking import award_scheme, rank_lot
from quartermaster.bids.models import BID_MACHINE, VALID, Bid
from quartermaster.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import record_transition
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import TENDER_MACHINE

CENT = Decimal("0.01")


def request_justification(
    session: Session, *, actor: Actor, now: datetime, bid_id: str, lot_id: str, question: str
) -> JustificationRequest:
    """The buyer side asks the supplier of an abnormally low bid on a lot to justify its price."""
    command = "request_justification"
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise NotFound("bid not found", code="bid.not_found")
    tender = tenders.get_tender(session, bid.tender_id, actor=actor, for_update=True)
    existing = session.scalar(
        select(JustificationRequest).where(JustificationRequest.bid_id == bid.id, JustificationRequest.lot_id == lot_id)
    )
    JUSTIFICATION_MACHINE.check(
        obj_id=existing.id if existing else "new",
        state=existing.status if existing else "none",
        command=command,
        actor=actor,
    )
    tenders.require_buyer_staff(actor, tender, Role.BUYER, Role.APPROVER)
    if tender.status != tm.QUALIFICATION:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command=command, reason="prices are justified in qualification"
        )
    if bid.status != VALID:
        raise BID_MACHINE.refuse(obj_id=bid.id, state=bid.status, command=command, reason="only a valid bid")
    lot = tender.lot(lot_id)
    if lot is None:
        raise NotFound("lot not found", code="lot.not_found")
    if lot.status != tm.LOT_ACTIVE:
        raise tm.LOT_MACHINE.refuse(obj_id=lot.id, state=lot.status, command=command, reason="the lot is decided")
    ranking = rank_lot(session, tender=tender, lot_id=lot.id)
    mine = next((r for r in ranking if r.bid.id == bid.id), None)
    if mine is None:
        raise ValidationFailed(
            "the bid makes no offer on this lot", errors=[{"field": "lot_id", "message": "no offer on this lot"}]
        )
    ratio = award_scheme(tender).abnormally_low_ratio
    threshold = methods.abnormally_low_threshold([r.standing.offer for r in ranking], ratio)
    if not mine.standing.abnormally_low or threshold is None:
        raise RuleViolation(
            "only an abnormally low price is asked to be justified",
            code="justification.not_abnormally_low",
            bid_id=bid.id,
            price=str(mine.amount),
            threshold=None if threshold is None else str(threshold.quantize(CENT, rounding=ROUND_HALF_UP)),
        )
    row = JustificationRequest(
        tender_id=tender.id,
        lot_id=lot.id,
        bid_id=bid.id,
        supplier_id=bid.supplier_id,
        status=REQUESTED,
        price_amount=mine.amount,
        threshold_amount=threshold.quantize(CENT, rounding=ROUND_HALF_UP),
        currency=tender.currency,
        question=question,
        requested_by=actor.user_id,
        requested_at=now,
    )
    session.add(row)
    session.flush()
    record_transition(
        session,
        JUSTIFICATION_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=row.id,
        process_id=tender.id,
        before=None,
        after=REQUESTED,
        payload={"bid_id": bid.id, "lot_id": lot.id, "price": row.price_amount, "threshold": row.threshold_amount},
    )
    return row


def answer_justification(
    session: Session, *, actor: Actor, now: datetime, request_id: str, answer: str
) -> JustificationRequest:
    """The supplier the request is addressed to explains its price."""
    command = "answer_justification"
    row = session.get(JustificationRequest, request_id)
    if row is None:
        raise NotFound("justification request not found", code="justification.not_found")
    tender = tenders.get_tender(session, row.tender_id, actor=actor, for_update=True)
    JUSTIFICATION_MACHINE.check(obj_id=row.id, state=row.status, command=command, actor=actor)
    if actor.organization_id != row.supplier_id:
        raise PermissionDenied("only the supplier asked may answer", code="justification.not_addressee")
    if tender.status != tm.QUALIFICATION:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command=command, reason="prices are justified in qualification"
        )
    row.status, row.answer, row.answered_by, row.answered_at = ANSWERED, answer, actor.user_id, now
    record_transition(
        session,
        JUSTIFICATION_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=row.id,
        process_id=tender.id,
        before=REQUESTED,
        after=ANSWERED,
        payload={"bid_id": row.bid_id, "lot_id": row.lot_id},
    )
    return row


def _may_see(actor: Actor | None, tender: tm.Tender, row: JustificationRequest) -> bool:
    if tender.status in (tm.AWARDED, tm.COMPLETE, tm.UNSUCCESSFUL):
        return True  # like evaluations: public once the tender is decided
    if actor is None:
        return False
    if actor.role is Role.AUDITOR or (actor.organization_id == tender.buyer_id and actor.role in tenders.BUYER_SIDE):
        return True
    return actor.role is Role.SUPPLIER and actor.organization_id == row.supplier_id


def list_justifications(session: Session, *, actor: Actor | None, tender_id: str) -> Sequence[JustificationRequest]:
    """A tender's justification requests the actor may see (the buyer side and auditors: all; a supplier: its own)."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    rows = session.scalars(
        select(JustificationRequest)
        .where(JustificationRequest.tender_id == tender.id)
        .order_by(JustificationRequest.requested_at, JustificationRequest.id)
    ).all()
    return [r for r in rows if _may_see(actor, tender, r)]


def get_justification(session: Session, *, actor: Actor | None, request_id: str) -> JustificationRequest:
    """One justification request (NotFound for whoever may not see it)."""
    row = session.get(JustificationRequest, request_id)
    if row is None:
        raise NotFound("justification request not found", code="justification.not_found")
    tender = tenders.get_tender(session, row.tender_id, actor=actor)
    if not _may_see(actor, tender, row):
        raise NotFound("justification request not found", code="justification.not_found")
    return row

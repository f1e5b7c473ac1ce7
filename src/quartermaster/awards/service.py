"""Evaluation, ranking and award decisions. An award drafts the contract in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.awards.models import (
    ACTIVE,
    ANSWERED,
    AWARD_MACHINE,
    CANCELLED,
    EVALUATION_COMMANDS,
    Award,
    Evaluation,
)
from quartermaster.awards.ranking import CONSOLIDATION, consolidation_of_record
from quartermaster.awards.ranking import Ranked as Ranked  # re-exported: callers rank through the service
from quartermaster.awards.ranking import rank_lot as rank_lot
from quartermaster.awards.schemas import AwardIn, EvaluationIn
from quartermaster.bids.models import BID_MACHINE, VALID, Bid
from quartermaster.contracts import service as contracts
from quartermaster.contracts.models import ACTIVE as CONTRACT_ACTIVE
from quartermaster.contracts.models import Contract
from quartermaster.decisions.schemas import SignatureIn, decision_content
from quartermaster.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from quartermaster.events.service import record_event, record_transition
from quartermaster.identity.models import Organization
from quartermaster.identity.signatures import sign_off
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import TENDER_MACHINE, Lot, Tender

PRICE_CRITERIA = frozenset({"priceOnly", "costOnly", "lowestCost", "singleBidOnly"})


def _in_qualification(tender: Tender, command: str) -> None:
    if tender.status != tm.QUALIFICATION:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command=command, reason="decisions are taken in qualification"
        )


def _lot(tender: Tender, lot_id: str) -> Lot:
    lot = tender.lot(lot_id)
    if lot is None:
        raise NotFound("lot not found", code="lot.not_found")
    return lot


def evaluate_bid(session: Session, *, actor: Actor, now: datetime, bid_id: str, verdict: EvaluationIn) -> Evaluation:
    """Record (or replace) the acting evaluator's verdict on a bid for a lot."""
    EVAL = "evaluate_bid"
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise NotFound("bid not found", code="bid.not_found")
    tender = tenders.get_tender(session, bid.tender_id, actor=actor, for_update=True)
    EVALUATION_COMMANDS.check(obj_id=bid.id, state="none", command=EVAL, actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.EVALUATOR)
    _in_qualification(tender, EVAL)
    if bid.status != VALID:
        raise BID_MACHINE.refuse(obj_id=bid.id, state=bid.status, command=EVAL, reason="only valid bids are evaluated")
    lot = _lot(tender, verdict.lot_id)
    if bid.value_for(lot.id) is None:
        raise ValidationFailed(
            "the bid makes no offer on this lot", errors=[{"field": "lot_id", "message": "no offer on this lot"}]
        )
    row = session.scalar(
        select(Evaluation).where(
            Evaluation.bid_id == bid.id, Evaluation.lot_id == lot.id, Evaluation.evaluator_id == actor.user_id
        )
    )
    before = "recorded" if row else "none"
    if row is None:
        row = Evaluation(
            tender_id=tender.id,
            bid_id=bid.id,
            lot_id=lot.id,
            evaluator_id=actor.user_id,
            compliant=verdict.compliant,
            evaluated_at=now,
        )
        session.add(row)
    row.compliant, row.score, row.notes, row.evaluated_at = verdict.compliant, verdict.score, verdict.notes, now
    row.delivery_days, row.life_cycle_cost = verdict.delivery_days, verdict.life_cycle_cost
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command=EVAL,
        event_type="BidEvaluated",
        object_type="bid",
        object_id=bid.id,
        process_id=tender.id,
        before=before,
        after="recorded",
        payload=verdict.model_dump(mode="json"),
    )
    return row


def disqualify_bid(
    session: Session, *, actor: Actor, now: datetime, bid_id: str, reason: str, signature: SignatureIn | None = None
) -> Bid:
    """Disqualify a valid bid with a stated reason, signed by the approver once they have a signing key."""
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise NotFound("bid not found", code="bid.not_found")
    tender = tenders.get_tender(session, bid.tender_id, actor=actor, for_update=True)
    BID_MACHINE.check(obj_id=bid.id, state=bid.status, command="disqualify_bid", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    _in_qualification(tender, "disqualify_bid")
    signed = sign_off(
        session,
        actor=actor,
        command="disqualify_bid",
        object_id=bid.id,
        process_id=tender.id,
        content={"reason": reason},
        signature=signature,
    )
    bid.status, bid.status_reason, bid.updated_at = "disqualified", reason, now
    record_event(
        session,
        actor=actor,
        now=now,
        command="disqualify_bid",
        event_type="BidDisqualified",
        object_type="bid",
        object_id=bid.id,
        process_id=tender.id,
        before=VALID,
        after=bid.status,
        payload={"reason": reason, **signed},
    )
    return bid


def award(session: Session, *, actor: Actor, now: datetime, tender_id: str, lot_id: str, spec: AwardIn) -> list[Award]:
    """Award a lot. Competitive procedures must award the best-ranked compliant bid(s); limited ones name the
    supplier and value. Opens standstill and drafts the contract (frameworks get their agreement later)."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    AWARD_MACHINE.check(obj_id="new", state="none", command="award", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    _in_qualification(tender, "award")
    lot = _lot(tender, lot_id)
    tm.LOT_MACHINE.check(obj_id=lot.id, state=lot.status, command="award", actor=actor)
    book, rules = tenders.tender_rules(tender)
    cal = book.calendar()
    standstill_end = cal.add(now, rules.standstill) if rules.standstill else now
    complaint_end = cal.add(now, rules.complaint_window) if rules.complaint_window else None
    picks: list[tuple[Bid | None, str, Decimal]]
    of_record: dict[str, str] = {}  # a committee tender's award names the consolidation it follows
    if rules.competitive:
        consolidation = consolidation_of_record(session, tender=tender, lot_id=lot.id)
        if consolidation is not None:
            of_record = {"consolidation_id": consolidation.id}
        picks = _competitive_picks(session, tender, lot, spec)
    else:
        picks = [_direct_pick(session, tender, lot, spec)]
    signed = sign_off(
        session,
        actor=actor,
        command="award",
        object_id=lot.id,
        process_id=tender.id,
        content=decision_content(spec),
        signature=spec.signature,
    )
    made: list[Award] = []
    for bid, supplier_id, amount in picks:
        aw = Award(
            tender_id=tender.id,
            lot_id=lot.id,
            bid_id=bid.id if bid else None,
            supplier_id=supplier_id,
            value_amount=amount,
            currency=tender.currency,
            status=ACTIVE,
            decided_by=actor.user_id,
            decided_at=now,
            standstill_end=standstill_end,
            complaint_end=complaint_end,
            rationale=spec.rationale,
        )
        session.add(aw)
        session.flush()
        made.append(aw)
        record_transition(
            session,
            AWARD_MACHINE,
            actor=actor,
            now=now,
            command="award",
            object_id=aw.id,
            process_id=tender.id,
            before=None,
            after=ACTIVE,
            payload={
                "lot_id": lot.id,
                "bid_id": aw.bid_id,
                "supplier_id": supplier_id,
                "value": {"amount": amount, "currency": tender.currency},
                "standstill_end": standstill_end,
                "rationale": spec.rationale,
                **of_record,
                **signed,
            },
        )
        if tender.procedure != "framework":
            contracts.create_contract(
                session,
                actor=actor,
                now=now,
                buyer_id=tender.buyer_id,
                supplier_id=supplier_id,
                title=f"{tender.title} — {lot.title}",
                value=amount,
                currency=tender.currency,
                items=[
                    contracts.ItemTerms(
                        item_id=i.id, description=i.description, cpv=i.cpv, nsn=i.nsn, unit=i.unit, quantity=i.quantity
                    )
                    for i in lot.items
                ],
                tender_id=tender.id,
                award_id=aw.id,
                lot_id=lot.id,
                not_before=standstill_end,
            )
    tenders.transition_lot(
        session,
        tender=tender,
        lot=lot,
        command="award",
        target=tm.LOT_AWARDED,
        actor=actor,
        now=now,
        payload={"awards": [a.id for a in made]},
    )
    tenders.settle_tender(session, tender=tender, actor=actor, now=now)
    return made


def _competitive_picks(
    session: Session, tender: Tender, lot: Lot, spec: AwardIn
) -> list[tuple[Bid | None, str, Decimal]]:
    if not spec.bid_ids or spec.supplier_id or spec.value:
        raise ValidationFailed(
            "a competitive award names bid_ids only",
            errors=[{"field": "bid_ids", "message": "required; supplier_id/value not allowed"}],
        )
    if len(spec.bid_ids) > 1 and tender.procedure != "framework":
        raise ValidationFailed(
            "only a framework awards a lot to several bids", errors=[{"field": "bid_ids", "message": "exactly one bid"}]
        )
    if len(set(spec.bid_ids)) != len(spec.bid_ids):
        raise ValidationFailed("a bid is named twice", errors=[{"field": "bid_ids", "message": "duplicates"}])
    ranking = rank_lot(session, tender=tender, lot_id=lot.id)
    compliant = [r for r in ranking if r.standing.ranked]
    by_id = {r.bid.id: r for r in ranking}
    for bid_id in spec.bid_ids:
        r = by_id.get(bid_id)
        if r is None:
            raise ValidationFailed(
                "not a valid bid on this lot",
                errors=[{"field": "bid_ids", "message": f"{bid_id} is not a valid offer here"}],
            )
        if not r.compliant:
            raise RuleViolation(
                "the committee's consolidation did not find the bid compliant"
                if r.basis == CONSOLIDATION
                else "the bid has not been evaluated as compliant by every evaluator",
                code="award.not_compliant",
                bid_id=bid_id,
            )
        if r.standing.missing:
            who = "the committee's members" if r.basis == CONSOLIDATION else "an evaluator"
            raise RuleViolation(
                f"the bid cannot be ranked: {who} must still record {list(r.standing.missing)}",
                code="award.not_scored",
                bid_id=bid_id,
                missing=list(r.standing.missing),
            )
    best = {r.bid.id for r in compliant[: len(spec.bid_ids)]}
    if set(spec.bid_ids) != best:
        raise RuleViolation(
            f"under '{tender.award_criteria}' the award must go to the best-ranked compliant bid(s)",
            code="award.not_best_ranked",
            best_ranked=[r.bid.id for r in compliant[: len(spec.bid_ids)]],
        )
    for bid_id in spec.bid_ids:
        _require_justified(by_id[bid_id])
    return [(by_id[b].bid, by_id[b].bid.supplier_id, by_id[b].amount) for b in spec.bid_ids]


def _require_justified(r: Ranked) -> None:
    """An abnormally low bid is awarded only once its supplier has answered a justification request."""
    if r.standing.abnormally_low and r.justification != ANSWERED:
        raise RuleViolation(
            "the bid's price is abnormally low: ask the supplier to justify it, and have the answer, before awarding",
            code="award.abnormally_low_unjustified",
            bid_id=r.bid.id,
            justification=r.justification or "none",
        )


def _direct_pick(session: Session, tender: Tender, lot: Lot, spec: AwardIn) -> tuple[Bid | None, str, Decimal]:
    if spec.bid_ids or spec.supplier_id is None or spec.value is None:
        raise ValidationFailed(
            "a direct award names supplier_id and value",
            errors=[{"field": "supplier_id", "message": "supplier_id and value are required"}],
        )
    org = session.get(Organization, spec.supplier_id)
    if org is None or "supplier" not in org.party_roles:
        raise ValidationFailed("unknown supplier", errors=[{"field": "supplier_id", "message": "not a supplier"}])
    if spec.value.currency != tender.currency:
        raise ValidationFailed(
            "wrong currency", errors=[{"field": "value.currency", "message": f"must be {tender.currency}"}]
        )
    return None, org.id, spec.value.amount


def cancel_award(
    session: Session, *, actor: Actor, now: datetime, award_id: str, reason: str, signature: SignatureIn | None = None
) -> Award:
    """Cancel an award whose contract is not yet signed (signed by the approver once they have a signing key); the lot
    returns to qualification."""
    aw = session.get(Award, award_id)
    if aw is None:
        raise NotFound("award not found", code="award.not_found")
    tender = tenders.get_tender(session, aw.tender_id, actor=actor, for_update=True)
    AWARD_MACHINE.check(obj_id=aw.id, state=aw.status, command="cancel_award", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    signed = session.scalar(select(Contract.id).where(Contract.award_id == aw.id, Contract.status == CONTRACT_ACTIVE))
    if signed is not None:
        raise Conflict("the award's contract is already signed", code="award.contract_signed", contract_id=signed)
    lot = _lot(tender, aw.lot_id)
    if lot.status != tm.LOT_AWARDED:
        raise tm.LOT_MACHINE.refuse(
            obj_id=lot.id,
            state=lot.status,
            command="cancel_award",
            reason="only an awarded lot's award can be cancelled",
        )
    signing = sign_off(
        session,
        actor=actor,
        command="cancel_award",
        object_id=aw.id,
        process_id=tender.id,
        content={"reason": reason},
        signature=signature,
    )
    aw.status, aw.status_reason = CANCELLED, reason
    record_transition(
        session,
        AWARD_MACHINE,
        actor=actor,
        now=now,
        command="cancel_award",
        object_id=aw.id,
        process_id=tender.id,
        before=ACTIVE,
        after=CANCELLED,
        payload={"reason": reason, **signing},
    )
    contracts.cancel_contracts_of_award(session, actor=actor, now=now, award_id=aw.id, reason=reason)
    still = session.scalar(select(Award.id).where(Award.lot_id == lot.id, Award.status == ACTIVE, Award.id != aw.id))
    if still is None:
        tenders.transition_lot(
            session,
            tender=tender,
            lot=lot,
            command="reopen_lot",
            target=tm.LOT_ACTIVE,
            actor=actor,
            now=now,
            payload={"cancelled_award": aw.id},
        )
        tenders.settle_tender(session, tender=tender, actor=actor, now=now)
    return aw


def declare_lot_unsuccessful(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, lot_id: str, reason: str
) -> Tender:
    """No acceptable bid on a lot: close it without an award."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    _in_qualification(tender, "declare_lot_unsuccessful")
    lot = _lot(tender, lot_id)
    tm.LOT_MACHINE.check(obj_id=lot.id, state=lot.status, command="declare_lot_unsuccessful", actor=actor)
    tenders.transition_lot(
        session,
        tender=tender,
        lot=lot,
        command="declare_lot_unsuccessful",
        target=tm.LOT_UNSUCCESSFUL,
        actor=actor,
        now=now,
        payload={"reason": reason},
    )
    tenders.settle_tender(session, tender=tender, actor=actor, now=now)
    return tender


def list_awards(session: Session, *, actor: Actor | None, tender_id: str) -> Sequence[Award]:
    """Awards of a tender (awards are public once made)."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    return session.scalars(select(Award).where(Award.tender_id == tender.id).order_by(Award.decided_at)).all()


def get_award(session: Session, *, actor: Actor | None, award_id: str) -> Award:
    """One award."""
    aw = session.get(Award, award_id)
    if aw is None:
        raise NotFound("award not found", code="award.not_found")
    tenders.get_tender(session, aw.tender_id, actor=actor)
    return aw


def list_evaluations(session: Session, *, actor: Actor | None, tender_id: str) -> Sequence[Evaluation]:
    """Evaluations of a tender: the buyer side and auditors see them all, others see them once the tender ends."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    insider = actor is not None and (
        actor.role is Role.AUDITOR or (actor.organization_id == tender.buyer_id and actor.role in tenders.BUYER_SIDE)
    )
    if not insider and tender.status not in (tm.AWARDED, tm.COMPLETE, tm.UNSUCCESSFUL):
        return []
    return session.scalars(
        select(Evaluation).where(Evaluation.tender_id == tender.id).order_by(Evaluation.evaluated_at, Evaluation.id)
    ).all()

"""Evaluation and award endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import Cmd, MaybeActor, ReadSession, State
from quartermaster.awards import justifications, service
from quartermaster.awards.schemas import (
    AwardIn,
    AwardList,
    AwardRead,
    EvaluationIn,
    EvaluationRead,
    JustificationAnswerIn,
    JustificationRead,
    JustificationRequestIn,
    RankRead,
    award_read,
    justification_read,
)
from quartermaster.bids.schemas import BidRead, Decision, bid_read
from quartermaster.decisions.schemas import SignedReason
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import access
from quartermaster.tenders import service as tenders
from quartermaster.tenders.routes import _shown as tender_out
from quartermaster.tenders.schemas import TenderRead

router = APIRouter(prefix="/api/v1", tags=["awards"])


def _require_view(session: Session, cmd: Cmd, tender_id: str) -> None:
    """A command's answer goes only to a caller who may see the process (else it is refused and undone)."""
    access.require_view(session, cmd.actor, tender_id, ocid_prefix=cmd.state.settings.ocid_prefix)


@router.post("/bids/{bid_id}/evaluations", response_model=EvaluationRead, summary="Evaluate a bid")
def evaluate(bid_id: str, body: EvaluationIn, cmd: Cmd) -> Response:
    """An evaluator records a verdict on a bid for a lot."""

    def go(s: Session, now: datetime) -> EvaluationRead:
        evaluation = service.evaluate_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, verdict=body)
        _require_view(s, cmd, evaluation.tender_id)
        return EvaluationRead.model_validate(evaluation)

    return cmd.run(go)


@router.get("/tenders/{tender_id}/evaluations", response_model=list[EvaluationRead], summary="Evaluations")
def list_evaluations(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[EvaluationRead]:
    """The buyer side and auditors see them during evaluation; everyone once the tender is decided."""
    rows = service.list_evaluations(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return [EvaluationRead.model_validate(e) for e in rows]


@router.post("/bids/{bid_id}/disqualify", response_model=BidRead, summary="Disqualify a bid")
def disqualify(bid_id: str, body: SignedReason, cmd: Cmd) -> Response:
    """An approver disqualifies a bid with a reason (signed, once they have a signing key)."""

    def go(s: Session, now: datetime) -> BidRead:
        bid = service.disqualify_bid(
            s, actor=cmd.actor, now=now, bid_id=bid_id, reason=body.reason, signature=body.signature
        )
        _require_view(s, cmd, bid.tender_id)
        return bid_read(bid, sealed=False)

    return cmd.run(go)


@router.get("/tenders/{tender_id}/lots/{lot_id}/ranking", response_model=list[RankRead], summary="Lot ranking")
def ranking(tender_id: str, lot_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[RankRead]:
    """Opened bids on a lot, best first under the tender's award criteria."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    access.require_view(session, actor, tender.id, ocid_prefix=state.settings.ocid_prefix)
    rows = service.rank_lot(session, tender=tender, lot_id=lot_id)
    return [
        RankRead(
            rank=i + 1,
            bid_id=r.bid.id,
            supplier_id=r.bid.supplier_id,
            value=MoneyIO.of(r.amount, tender.currency),
            compliant=r.compliant,
            evaluated=r.evaluated,
            mean_score=r.mean_score,
            method=r.method,
            figure=r.standing.figure,
            points=dict(r.standing.points),
            missing=list(r.standing.missing),
            abnormally_low=r.standing.abnormally_low,
            justification=r.justification,
            basis=r.basis,
        )
        for i, r in enumerate(rows)
    ]


@router.post(
    "/bids/{bid_id}/justification-requests",
    status_code=201,
    response_model=JustificationRead,
    summary="Ask a supplier to justify an abnormally low price",
)
def request_justification(bid_id: str, body: JustificationRequestIn, cmd: Cmd) -> Response:
    """The buyer or an approver asks; an abnormally low bid cannot be awarded until the supplier answers."""

    def go(s: Session, now: datetime) -> JustificationRead:
        row = justifications.request_justification(
            s, actor=cmd.actor, now=now, bid_id=bid_id, lot_id=body.lot_id, question=body.question
        )
        _require_view(s, cmd, row.tender_id)
        return justification_read(row)

    return cmd.run(go, status_code=201)


@router.post(
    "/justification-requests/{request_id}/answer",
    response_model=JustificationRead,
    summary="Answer a justification request",
)
def answer_justification(request_id: str, body: JustificationAnswerIn, cmd: Cmd) -> Response:
    """The supplier asked explains its price."""

    def go(s: Session, now: datetime) -> JustificationRead:
        row = justifications.answer_justification(
            s, actor=cmd.actor, now=now, request_id=request_id, answer=body.answer
        )
        _require_view(s, cmd, row.tender_id)
        return justification_read(row)

    return cmd.run(go)


@router.get(
    "/tenders/{tender_id}/justification-requests",
    response_model=list[JustificationRead],
    summary="Justification requests of a tender",
)
def list_justifications(
    tender_id: str, session: ReadSession, actor: MaybeActor, state: State
) -> list[JustificationRead]:
    """The buyer side and auditors see all; a supplier its own; everyone once the tender is decided."""
    rows = justifications.list_justifications(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return [justification_read(r) for r in rows]


@router.get(
    "/justification-requests/{request_id}", response_model=JustificationRead, summary="Read a justification request"
)
def get_justification(request_id: str, session: ReadSession, actor: MaybeActor, state: State) -> JustificationRead:
    """One request and its answer."""
    row = justifications.get_justification(session, actor=actor, request_id=request_id)
    access.require_view(session, actor, row.tender_id, ocid_prefix=state.settings.ocid_prefix)
    return justification_read(row)


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/award", status_code=201, response_model=list[AwardRead], summary="Award a lot"
)
def award(tender_id: str, lot_id: str, body: AwardIn, cmd: Cmd) -> Response:
    """An approver awards the best-ranked compliant bid (or, in a limited procedure, a named supplier)."""

    def go(s: Session, now: datetime) -> AwardList:
        made = service.award(s, actor=cmd.actor, now=now, tender_id=tender_id, lot_id=lot_id, spec=body)
        _require_view(s, cmd, tender_id)
        return AwardList([award_read(a) for a in made])

    return cmd.run(go, status_code=201)


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/unsuccessful", response_model=TenderRead, summary="Close a lot without award"
)
def lot_unsuccessful(tender_id: str, lot_id: str, body: Decision, cmd: Cmd) -> Response:
    """No acceptable bid on the lot."""
    return cmd.run(
        lambda s, now: tender_out(
            s,
            cmd,
            service.declare_lot_unsuccessful(
                s, actor=cmd.actor, now=now, tender_id=tender_id, lot_id=lot_id, reason=body.reason
            ),
        )
    )


@router.get("/tenders/{tender_id}/awards", response_model=list[AwardRead], summary="Awards of a tender")
def list_awards(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[AwardRead]:
    """Awards are public once made (those of a classified process: to whoever may see it)."""
    rows = service.list_awards(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return [award_read(a) for a in rows]


@router.get("/awards/{award_id}", response_model=AwardRead, summary="Read an award")
def get_award(award_id: str, session: ReadSession, actor: MaybeActor, state: State) -> AwardRead:
    """One award."""
    aw = service.get_award(session, actor=actor, award_id=award_id)
    access.require_view(session, actor, aw.tender_id, ocid_prefix=state.settings.ocid_prefix)
    return award_read(aw)


@router.post("/awards/{award_id}/cancel", response_model=AwardRead, summary="Cancel an award")
def cancel_award(award_id: str, body: SignedReason, cmd: Cmd) -> Response:
    """Before its contract is signed (signed by the approver, once they have a signing key)."""

    def go(s: Session, now: datetime) -> AwardRead:
        aw = service.cancel_award(
            s, actor=cmd.actor, now=now, award_id=award_id, reason=body.reason, signature=body.signature
        )
        _require_view(s, cmd, aw.tender_id)
        return award_read(aw)

    return cmd.run(go)

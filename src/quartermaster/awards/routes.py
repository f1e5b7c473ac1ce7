"""Evaluation and award endpoints."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from quartermaster.api.deps import Cmd, MaybeActor, ReadSession
from quartermaster.awards import service
from quartermaster.awards.schemas import (
    AwardIn,
    AwardList,
    AwardRead,
    EvaluationIn,
    EvaluationRead,
    RankRead,
    award_read,
)
from quartermaster.bids.schemas import BidRead, Decision, bid_read
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import service as tenders
from quartermaster.tenders.routes import _read as tender_out
from quartermaster.tenders.schemas import TenderRead

router = APIRouter(prefix="/api/v1", tags=["awards"])


@router.post("/bids/{bid_id}/evaluations", response_model=EvaluationRead, summary="Evaluate a bid")
def evaluate(bid_id: str, body: EvaluationIn, cmd: Cmd) -> Response:
    """An evaluator records a verdict on a bid for a lot."""
    return cmd.run(
        lambda s, now: EvaluationRead.model_validate(
            service.evaluate_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, verdict=body)
        )
    )


@router.get("/tenders/{tender_id}/evaluations", response_model=list[EvaluationRead], summary="Evaluations")
def list_evaluations(tender_id: str, session: ReadSession, actor: MaybeActor) -> list[EvaluationRead]:
    """The buyer side and auditors see them during evaluation; everyone once the tender is decided."""
    return [
        EvaluationRead.model_validate(e) for e in service.list_evaluations(session, actor=actor, tender_id=tender_id)
    ]


@router.post("/bids/{bid_id}/disqualify", response_model=BidRead, summary="Disqualify a bid")
def disqualify(bid_id: str, body: Decision, cmd: Cmd) -> Response:
    """An approver disqualifies a bid with a reason."""
    return cmd.run(
        lambda s, now: bid_read(
            service.disqualify_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, reason=body.reason), sealed=False
        )
    )


@router.get("/tenders/{tender_id}/lots/{lot_id}/ranking", response_model=list[RankRead], summary="Lot ranking")
def ranking(tender_id: str, lot_id: str, session: ReadSession, actor: MaybeActor) -> list[RankRead]:
    """Opened bids on a lot, best first under the tender's award criteria."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
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
        )
        for i, r in enumerate(rows)
    ]


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/award", status_code=201, response_model=list[AwardRead], summary="Award a lot"
)
def award(tender_id: str, lot_id: str, body: AwardIn, cmd: Cmd) -> Response:
    """An approver awards the best-ranked compliant bid (or, in a limited procedure, a named supplier)."""
    return cmd.run(
        lambda s, now: AwardList(
            [
                award_read(a)
                for a in service.award(s, actor=cmd.actor, now=now, tender_id=tender_id, lot_id=lot_id, spec=body)
            ]
        ),
        status_code=201,
    )


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/unsuccessful", response_model=TenderRead, summary="Close a lot without award"
)
def lot_unsuccessful(tender_id: str, lot_id: str, body: Decision, cmd: Cmd) -> Response:
    """No acceptable bid on the lot."""
    return cmd.run(
        lambda s, now: tender_out(
            service.declare_lot_unsuccessful(
                s, actor=cmd.actor, now=now, tender_id=tender_id, lot_id=lot_id, reason=body.reason
            )
        )
    )


@router.get("/tenders/{tender_id}/awards", response_model=list[AwardRead], summary="Awards of a tender")
def list_awards(tender_id: str, session: ReadSession, actor: MaybeActor) -> list[AwardRead]:
    """Awards are public once made."""
    return [award_read(a) for a in service.list_awards(session, actor=actor, tender_id=tender_id)]


@router.get("/awards/{award_id}", response_model=AwardRead, summary="Read an award")
def get_award(award_id: str, session: ReadSession, actor: MaybeActor) -> AwardRead:
    """One award."""
    return award_read(service.get_award(session, actor=actor, award_id=award_id))


@router.post("/awards/{award_id}/cancel", response_model=AwardRead, summary="Cancel an award")
def cancel_award(award_id: str, body: Decision, cmd: Cmd) -> Response:
    """Before its contract is signed."""
    return cmd.run(
        lambda s, now: award_read(
            service.cancel_award(s, actor=cmd.actor, now=now, award_id=award_id, reason=body.reason)
        )
    )

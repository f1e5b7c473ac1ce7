"""Evaluation and award endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import Cmd, MaybeActor, ReadSession, State
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
def disqualify(bid_id: str, body: Decision, cmd: Cmd) -> Response:
    """An approver disqualifies a bid with a reason."""

    def go(s: Session, now: datetime) -> BidRead:
        bid = service.disqualify_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, reason=body.reason)
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
        )
        for i, r in enumerate(rows)
    ]


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
def cancel_award(award_id: str, body: Decision, cmd: Cmd) -> Response:
    """Before its contract is signed."""

    def go(s: Session, now: datetime) -> AwardRead:
        aw = service.cancel_award(s, actor=cmd.actor, now=now, award_id=award_id, reason=body.reason)
        _require_view(s, cmd, aw.tender_id)
        return award_read(aw)

    return cmd.run(go)

"""Bid and candidacy endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import Cmd, MaybeActor, ReadSession, State
from quartermaster.bids import prequalification, service
from quartermaster.bids.schemas import (
    BidCreate,
    BidRead,
    BidReceipt,
    BidRevise,
    CandidacyCreate,
    CandidacyRead,
    Decision,
    InviteIn,
    bid_read,
)
from quartermaster.documents import opening
from quartermaster.documents.blobstore import make_blobstore
from quartermaster.publication import receipts
from quartermaster.publication.schemas import BidLogReceiptRead, receipt_read
from quartermaster.tenders import access
from quartermaster.tenders.routes import _shown as tender_out
from quartermaster.tenders.schemas import TenderRead

router = APIRouter(prefix="/api/v1", tags=["bids"])


@router.post("/tenders/{tender_id}/bids", status_code=201, response_model=BidReceipt, summary="Submit a bid")
def submit_bid(tender_id: str, body: BidCreate, cmd: Cmd) -> Response:
    """Submit before the tender period ends; the receipt's hash commits to the sealed prices.

    The receipt names nothing of the process, so it is not gated by the process's marking (nor are the bidder's
    own amend/withdraw/revise answers, which echo the prices it sent)."""

    def go(s, now):  # type: ignore[no-untyped-def]
        bid, event = service.submit_bid(
            s, actor=cmd.actor, now=now, tender_id=tender_id, values=body.values, sealed=body.sealed
        )
        return BidReceipt(
            bid_id=bid.id,
            tender_id=bid.tender_id,
            submitted_at=bid.submitted_at,
            payload_hash=event.payload_hash,
            commitment=bid.commitment,
            event_seq=event.seq,
        )

    return cmd.run(go, status_code=201, location=lambda r: f"/api/v1/bids/{r.bid_id}")


@router.get("/tenders/{tender_id}/bids", response_model=list[BidRead], summary="Bids visible to the caller")
def list_bids(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[BidRead]:
    """Before opening, a supplier sees only its own bid and nobody else sees any; after opening, all."""
    rows = service.list_bids(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return [bid_read(b, sealed=not service.can_read_contents(actor, b)) for b in rows]


@router.get("/bids/{bid_id}", response_model=BidRead, summary="Read a bid")
def get_bid(bid_id: str, session: ReadSession, actor: MaybeActor, state: State) -> BidRead:
    """A bid, to its supplier at any time and to others after opening."""
    bid = service.get_bid(session, actor=actor, bid_id=bid_id)
    access.require_view(session, actor, bid.tender_id, ocid_prefix=state.settings.ocid_prefix)
    return bid_read(bid, sealed=False)


@router.get(
    "/bids/{bid_id}/receipt",
    response_model=BidLogReceiptRead,
    summary="A sealed bid's receipt: its logged commitment with a signed checkpoint and an inclusion proof",
)
def bid_receipt(bid_id: str, session: ReadSession, actor: MaybeActor, state: State) -> BidLogReceiptRead:
    """To the bid's supplier and to auditors; 409 `receipt.not_yet_logged` until a signed checkpoint covers it."""
    log = state.publication.log
    receipt = receipts.bid_receipt(session, log, actor=actor, bid_id=bid_id)
    access.require_view(session, actor, receipt.tender_id, ocid_prefix=state.settings.ocid_prefix)
    return receipt_read(receipt, log.origin)


@router.post("/bids/{bid_id}/amend", response_model=BidRead, summary="Replace a pending bid's prices")
def amend_bid(bid_id: str, body: BidCreate, cmd: Cmd) -> Response:
    """Before the deadline only."""
    return cmd.run(
        lambda s, now: bid_read(
            service.amend_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, values=body.values, sealed=body.sealed),
            sealed=False,
        )
    )


@router.post("/bids/{bid_id}/withdraw", response_model=BidRead, summary="Withdraw a bid")
def withdraw_bid(bid_id: str, cmd: Cmd) -> Response:
    """Before the deadline only."""
    return cmd.run(
        lambda s, now: bid_read(service.withdraw_bid(s, actor=cmd.actor, now=now, bid_id=bid_id), sealed=False)
    )


@router.post("/bids/{bid_id}/revise", response_model=BidRead, summary="Offer new prices in negotiation")
def revise_bid(bid_id: str, body: BidRevise, cmd: Cmd) -> Response:
    """During the negotiation step of a negotiated procedure."""
    return cmd.run(
        lambda s, now: bid_read(
            service.revise_bid(s, actor=cmd.actor, now=now, bid_id=bid_id, values=body.values), sealed=False
        )
    )


@router.post("/tenders/{tender_id}/open-bids", response_model=TenderRead, summary="Open all bids at once")
def open_bids(tender_id: str, cmd: Cmd) -> Response:
    """After the tender period has ended."""
    return cmd.run(
        lambda s, now: tender_out(
            s,
            cmd,
            opening.open_bids(
                s,
                actor=cmd.actor,
                now=now,
                tender_id=tender_id,
                vault=cmd.state.vault,
                blobs=make_blobstore(cmd.state.settings),
            ),
        )
    )


@router.post("/tenders/{tender_id}/close-negotiation", response_model=TenderRead, summary="End negotiation")
def close_negotiation(tender_id: str, cmd: Cmd) -> Response:
    """Move a negotiated procedure to evaluation."""
    return cmd.run(
        lambda s, now: tender_out(s, cmd, service.close_negotiation(s, actor=cmd.actor, now=now, tender_id=tender_id))
    )


@router.post(
    "/tenders/{tender_id}/candidacies", status_code=201, response_model=CandidacyRead, summary="Request to participate"
)
def apply(tender_id: str, body: CandidacyCreate, cmd: Cmd) -> Response:
    """During prequalification of a selective procedure.

    The response echoes only what the caller sent, so it is not gated by the process's marking."""
    return cmd.run(
        lambda s, now: CandidacyRead.model_validate(
            prequalification.apply_to_participate(
                s, actor=cmd.actor, now=now, tender_id=tender_id, statement=body.statement
            )
        ),
        status_code=201,
    )


@router.get("/tenders/{tender_id}/candidacies", response_model=list[CandidacyRead], summary="Candidacies")
def list_candidacies(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[CandidacyRead]:
    """Candidacies visible to the caller."""
    rows = prequalification.list_candidacies(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return [CandidacyRead.model_validate(c) for c in rows]


def _decide(cmd: Cmd, candidacy_id: str, *, qualify: bool, reason: str) -> Response:
    """Qualify or reject a candidate; the answer only to those who may see the process."""

    def go(s: Session, now: datetime) -> CandidacyRead:
        cand = prequalification.decide_candidacy(
            s, actor=cmd.actor, now=now, candidacy_id=candidacy_id, qualify=qualify, reason=reason
        )
        access.require_view(s, cmd.actor, cand.tender_id, ocid_prefix=cmd.state.settings.ocid_prefix)
        return CandidacyRead.model_validate(cand)

    return cmd.run(go)


@router.post("/candidacies/{candidacy_id}/qualify", response_model=CandidacyRead, summary="Qualify a candidate")
def qualify(candidacy_id: str, body: Decision, cmd: Cmd) -> Response:
    """After prequalification ends."""
    return _decide(cmd, candidacy_id, qualify=True, reason=body.reason)


@router.post("/candidacies/{candidacy_id}/reject", response_model=CandidacyRead, summary="Reject a candidate")
def reject(candidacy_id: str, body: Decision, cmd: Cmd) -> Response:
    """After prequalification ends."""
    return _decide(cmd, candidacy_id, qualify=False, reason=body.reason)


@router.post("/tenders/{tender_id}/invite", response_model=TenderRead, summary="Invite qualified candidates")
def invite(tender_id: str, body: InviteIn, cmd: Cmd) -> Response:
    """Open the tender period for the shortlisted candidates."""
    return cmd.run(
        lambda s, now: tender_out(
            s,
            cmd,
            prequalification.invite_tenderers(
                s, actor=cmd.actor, now=now, tender_id=tender_id, tender_end=body.tender_end
            ),
        )
    )

"""Complaint endpoints: file, list, read, withdraw, the buyer's answer and resolution, the review body's steps.

Visibility is the service's: a complaint about a classified process is answered only to those who may read it
(its reviewers are not parties to the process, so the process-wide ``access.require_view`` does not apply here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import Cmd, CurrentActor, MaybeActor, ReadSession
from quartermaster.complaints import service
from quartermaster.complaints.models import ACCEPTED, PENDING
from quartermaster.complaints.schemas import (
    Admissibility,
    ClaimAnswer,
    ComplaintCreate,
    ComplaintDecision,
    ComplaintRead,
    Resolution,
    Withdrawal,
)

router = APIRouter(prefix="/api/v1", tags=["complaints"])

Status = Literal["pending", "accepted", "rejected", "satisfied", "declined", "stopped", "resolved"]


@router.post(
    "/tenders/{tender_id}/complaints", status_code=201, response_model=ComplaintRead, summary="File a complaint"
)
def file_complaint(tender_id: str, body: ComplaintCreate, cmd: Cmd) -> Response:
    """A supplier files a claim (to the buyer) or a complaint (to the review body) within the rulebook's window."""

    def go(s: Session, now: datetime) -> ComplaintRead:
        c = service.file_complaint(s, actor=cmd.actor, now=now, tender_id=tender_id, spec=body)
        return ComplaintRead.model_validate(c)

    return cmd.run(go, status_code=201, location=lambda r: f"/api/v1/complaints/{r.id}")


@router.get("/tenders/{tender_id}/complaints", response_model=list[ComplaintRead], summary="A tender's complaints")
def list_complaints(tender_id: str, session: ReadSession, actor: MaybeActor) -> list[ComplaintRead]:
    """Those the caller may read: all of a public process; of a classified one, only the parties' and reviewers'."""
    return [ComplaintRead.model_validate(c) for c in service.list_complaints(session, actor=actor, tender_id=tender_id)]


@router.get("/complaints", response_model=list[ComplaintRead], summary="The review body's queue")
def review_queue(
    session: ReadSession,
    actor: CurrentActor,
    status: Annotated[list[Status] | None, Query(description="Default: pending and accepted")] = None,
) -> list[ComplaintRead]:
    """Complaints awaiting the review body, at the reviewer's clearance."""
    rows = service.review_queue(session, actor=actor, statuses=status or [PENDING, ACCEPTED])
    return [ComplaintRead.model_validate(c) for c in rows]


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead, summary="Read a complaint")
def get_complaint(complaint_id: str, session: ReadSession, actor: MaybeActor) -> ComplaintRead:
    """One complaint, to those who may read it (anyone else: not found)."""
    return ComplaintRead.model_validate(service.get_complaint(session, actor=actor, complaint_id=complaint_id))


@router.post("/complaints/{complaint_id}/withdraw", response_model=ComplaintRead, summary="Withdraw a complaint")
def withdraw(complaint_id: str, body: Withdrawal, cmd: Cmd) -> Response:
    """The complainant stops its claim or complaint before a decision."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.withdraw_complaint(s, actor=cmd.actor, now=now, complaint_id=complaint_id, reason=body.reason)
        )
    )


@router.post("/complaints/{complaint_id}/answer", response_model=ComplaintRead, summary="Answer a claim")
def answer(complaint_id: str, body: ClaimAnswer, cmd: Cmd) -> Response:
    """The buyer answers a claim: resolved or declined."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.answer_claim(s, actor=cmd.actor, now=now, complaint_id=complaint_id, spec=body)
        )
    )


@router.post("/complaints/{complaint_id}/accept", response_model=ComplaintRead, summary="Accept for review")
def accept(complaint_id: str, body: Admissibility, cmd: Cmd) -> Response:
    """The review body finds the complaint admissible."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.admit_complaint(
                s, actor=cmd.actor, now=now, complaint_id=complaint_id, admissible=True, reason=body.reason
            )
        )
    )


@router.post("/complaints/{complaint_id}/reject", response_model=ComplaintRead, summary="Reject as inadmissible")
def reject(complaint_id: str, body: Admissibility, cmd: Cmd) -> Response:
    """The review body finds the complaint inadmissible."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.admit_complaint(
                s, actor=cmd.actor, now=now, complaint_id=complaint_id, admissible=False, reason=body.reason
            )
        )
    )


@router.post("/complaints/{complaint_id}/decide", response_model=ComplaintRead, summary="Decide a complaint")
def decide(complaint_id: str, body: ComplaintDecision, cmd: Cmd) -> Response:
    """The review body satisfies (naming the correction the buyer owes) or declines an accepted complaint."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.decide_complaint(s, actor=cmd.actor, now=now, complaint_id=complaint_id, spec=body)
        )
    )


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintRead, summary="Resolve a complaint")
def resolve(complaint_id: str, body: Resolution, cmd: Cmd) -> Response:
    """The buyer reports the satisfied complaint carried out; checked against the award's and tender's state."""
    return cmd.run(
        lambda s, now: ComplaintRead.model_validate(
            service.resolve_complaint(
                s, actor=cmd.actor, now=now, complaint_id=complaint_id, resolution=body.resolution
            )
        )
    )

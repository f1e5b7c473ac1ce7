"""Tender endpoints: HTTP <-> schemas only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import (
    After,
    Cmd,
    Command,
    CurrentActor,
    IfMatch,
    Limit,
    MaybeActor,
    ReadSession,
    State,
    check_version,
    json_response,
    next_cursor,
    parse_if_match,
    require_if_match,
)
from quartermaster.committees import service as committees
from quartermaster.rules import rulebook_for
from quartermaster.schema_base import Page
from quartermaster.tenders import access, periods, service
from quartermaster.tenders.models import Tender
from quartermaster.tenders.schemas import (
    AnswerIn,
    CancelTender,
    EnquiryRead,
    PeriodsRead,
    PublishTender,
    QuestionIn,
    TenderCreate,
    TenderRead,
    TenderUpdate,
    tender_read,
)

router = APIRouter(prefix="/api/v1", tags=["tenders"])


def _read(t: Tender) -> TenderRead:
    return tender_read(t, service.allowed_commands(t))


def _shown(session: Session, cmd: Command, tender: Tender) -> TenderRead:
    """A command's answer: the tender, if the caller may see its process (else the command is refused and undone)."""
    access.require_view(session, cmd.actor, tender.id, ocid_prefix=cmd.state.settings.ocid_prefix)
    return _read(tender)


@router.get("/tenders", response_model=Page[TenderRead], summary="List tenders")
def list_tenders(
    session: ReadSession,
    actor: MaybeActor,
    limit: Limit = 50,
    after: After = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    procedure: Annotated[str | None, Query(max_length=32)] = None,
    buyer_id: Annotated[str | None, Query(max_length=32)] = None,
    cpv: Annotated[str | None, Query(max_length=10, pattern=r"^[0-9-]+$", description="CPV code prefix")] = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
) -> Page[TenderRead]:
    """Published tenders (and the caller's own drafts), filtered, in keyset pages."""
    flt = service.TenderFilter(
        status=status,
        procedure=procedure,
        buyer_id=buyer_id,
        cpv_prefix=cpv,
        published_from=published_from,
        published_to=published_to,
    )
    rows = list(service.list_tenders(session, actor=actor, flt=flt, after=after, limit=limit))
    return Page[TenderRead](data=[_read(t) for t in rows], next=next_cursor(rows, limit))


@router.post("/tenders", status_code=201, response_model=TenderRead, summary="Prepare a draft tender")
def create_tender(body: TenderCreate, cmd: Cmd, state: State) -> Response:
    """A buyer prepares a draft; an approver publishes it."""
    return cmd.run(
        lambda s, now: _shown(s, cmd, service.create_tender(s, actor=cmd.actor, now=now, spec=body, lists=state.lists)),
        status_code=201,
        location=lambda r: f"/api/v1/tenders/{r.id}",
        etag=lambda r: r.version,
    )


@router.get("/tenders/{tender_id}", response_model=TenderRead, summary="Read a tender")
def get_tender(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> Response:
    """One tender, with its ETag."""
    tender = service.get_tender(session, tender_id, actor=actor)
    access.require_view(session, actor, tender.id, ocid_prefix=state.settings.ocid_prefix)
    return json_response(_read(tender), etag=tender.version)


@router.patch("/tenders/{tender_id}", response_model=TenderRead, summary="Change a draft tender")
def update_tender(tender_id: str, body: TenderUpdate, cmd: Cmd, state: State, if_match: IfMatch = None) -> Response:
    """Change a draft; requires If-Match with the ETag last read."""
    expected = require_if_match(if_match)

    def go(s: Session, now: datetime) -> TenderRead:
        check_version("tender", service.get_tender(s, tender_id, actor=cmd.actor, for_update=True).version, expected)
        return _shown(
            s,
            cmd,
            service.update_tender(s, actor=cmd.actor, now=now, tender_id=tender_id, spec=body, lists=state.lists),
        )

    return cmd.run(go, etag=lambda r: r.version)


def _tender_command(
    cmd: Cmd, tender_id: str, if_match: str | None, action: Callable[[Session, datetime], Tender]
) -> Response:
    """Run a tender command, checking If-Match (when sent) under the row lock."""
    expected = parse_if_match(if_match)

    def go(s: Session, now: datetime) -> TenderRead:
        if expected is not None:
            check_version(
                "tender", service.get_tender(s, tender_id, actor=cmd.actor, for_update=True).version, expected
            )
        return _shown(s, cmd, action(s, now))

    return cmd.run(go, etag=lambda r: r.version)


@router.post("/tenders/{tender_id}/publish", response_model=TenderRead, summary="Publish a tender")
def publish_tender(tender_id: str, body: PublishTender, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver (not the preparer) publishes under the rulebook in force now."""
    return _tender_command(
        cmd,
        tender_id,
        if_match,
        lambda s, now: committees.publish_tender(
            s, actor=cmd.actor, now=now, tender_id=tender_id, periods=body, vault=cmd.state.vault
        ),
    )


@router.post("/tenders/{tender_id}/cancel", response_model=TenderRead, summary="Cancel a tender")
def cancel_tender(tender_id: str, body: CancelTender, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """Cancel an unfinished tender with a reason."""
    return _tender_command(
        cmd,
        tender_id,
        if_match,
        lambda s, now: service.cancel_tender(s, actor=cmd.actor, now=now, tender_id=tender_id, reason=body.reason),
    )


@router.get("/tenders/{tender_id}/questions", response_model=list[EnquiryRead], summary="Questions and answers")
def list_questions(tender_id: str, session: ReadSession, actor: MaybeActor, state: State) -> list[EnquiryRead]:
    """All questions of a tender with their answers."""
    tender = service.get_tender(session, tender_id, actor=actor)
    access.require_view(session, actor, tender.id, ocid_prefix=state.settings.ocid_prefix)
    return [EnquiryRead.model_validate(q) for q in periods.list_enquiries(session, tender)]


@router.post("/tenders/{tender_id}/questions", status_code=201, response_model=EnquiryRead, summary="Ask")
def ask_question(tender_id: str, body: QuestionIn, cmd: Cmd) -> Response:
    """A supplier asks a question while enquiries are open.

    The response echoes only what the caller sent, so it is not gated by the process's marking."""
    return cmd.run(
        lambda s, now: EnquiryRead.model_validate(
            periods.ask_question(s, actor=cmd.actor, now=now, tender_id=tender_id, question=body)
        ),
        status_code=201,
    )


@router.post("/tenders/{tender_id}/questions/{question_id}/answer", response_model=EnquiryRead, summary="Answer")
def answer_question(tender_id: str, question_id: str, body: AnswerIn, cmd: Cmd) -> Response:
    """The buyer answers publicly."""

    def go(s: Session, now: datetime) -> EnquiryRead:
        enquiry = periods.answer_question(
            s, actor=cmd.actor, now=now, tender_id=tender_id, enquiry_id=question_id, answer=body.answer
        )
        access.require_view(s, cmd.actor, enquiry.tender_id, ocid_prefix=cmd.state.settings.ocid_prefix)
        return EnquiryRead.model_validate(enquiry)

    return cmd.run(go)


@router.get("/rules/{procedure}/periods", response_model=PeriodsRead, summary="Minimum periods for a procedure")
def minimum_periods(procedure: str, state: State, actor: CurrentActor, start: datetime | None = None) -> PeriodsRead:
    """What the rulebook in force requires if a tender of this procedure were published at ``start`` (now)."""
    when = start or state.clock.now()
    book = rulebook_for(when)
    rules = book.procedure(procedure)
    ends = service.minimum_periods(book, rules, when)
    return PeriodsRead(
        procedure=procedure,
        rulebook_version=book.version,
        start=when,
        prequalification_end=ends["prequalification_end"],
        enquiry_end=ends["enquiry_end"],
        tender_end=ends["tender_end"],
        standstill_days=rules.standstill.days if rules.standstill else None,
        min_bids=rules.min_bids,
        award_criteria=list(rules.award_criteria),
        justifications=list(rules.justifications),
    )

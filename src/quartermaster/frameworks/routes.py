"""Framework endpoints: HTTP <-> schemas only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import After, Cmd, Limit, MaybeActor, ReadSession, State, json_response, next_cursor
from quartermaster.frameworks import call_offs, service
from quartermaster.frameworks.models import Framework
from quartermaster.frameworks.schemas import (
    CallOffCreate,
    CallOffRead,
    ConcludeFramework,
    FrameworkDetail,
    FrameworkRead,
    TerminateFramework,
    call_off_read,
    framework_detail,
    framework_read,
)
from quartermaster.schema_base import Page

router = APIRouter(prefix="/api/v1", tags=["frameworks"])


def _detail(session: Session, fw: Framework) -> FrameworkDetail:
    used = call_offs.usage(session, fw)
    return framework_detail(
        fw, called_off=used.value, remaining=used.remaining(fw), allowed=service.allowed_commands(fw)
    )


@router.post(
    "/tenders/{tender_id}/conclude-framework",
    status_code=201,
    response_model=FrameworkDetail,
    summary="Conclude a framework agreement",
)
def conclude_framework(tender_id: str, body: ConcludeFramework, cmd: Cmd) -> Response:
    """An approver concludes the agreement of an awarded framework tender once the standstill has ended."""
    return cmd.run(
        lambda s, now: _detail(
            s, service.conclude_framework(s, actor=cmd.actor, now=now, tender_id=tender_id, end=body.end)
        ),
        status_code=201,
        location=lambda r: f"/api/v1/frameworks/{r.id}",
        etag=lambda r: r.version,
    )


@router.get("/frameworks", response_model=Page[FrameworkRead], summary="List framework agreements")
def list_frameworks(
    session: ReadSession,
    limit: Limit = 50,
    after: After = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    buyer_id: Annotated[str | None, Query(max_length=32)] = None,
    tender_id: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[FrameworkRead]:
    """Framework agreements are public."""
    rows = list(
        service.list_frameworks(
            session, status=status, buyer_id=buyer_id, tender_id=tender_id, after=after, limit=limit
        )
    )
    return Page[FrameworkRead](data=[framework_read(fw) for fw in rows], next=next_cursor(rows, limit))


@router.get("/frameworks/{framework_id}", response_model=FrameworkDetail, summary="Read a framework agreement")
def get_framework(framework_id: str, session: ReadSession) -> Response:
    """One framework with its parties, catalogue (unit prices and remaining quantities) and remaining value."""
    fw = service.get_framework(session, framework_id)
    return json_response(_detail(session, fw), etag=fw.version)


@router.post(
    "/frameworks/{framework_id}/call-offs", status_code=201, response_model=CallOffRead, summary="Place a call-off"
)
def place_call_off(framework_id: str, body: CallOffCreate, cmd: Cmd, state: State) -> Response:
    """A direct order (a pending contract at catalogue prices) or a mini-competition (a draft tender)."""
    return cmd.run(
        lambda s, now: call_off_read(
            call_offs.place_call_off(
                s, actor=cmd.actor, now=now, framework_id=framework_id, spec=body, lists=state.lists
            ),
            full=True,
        ),
        status_code=201,
    )


@router.get("/frameworks/{framework_id}/call-offs", response_model=Page[CallOffRead], summary="Call-offs")
def list_call_offs(
    framework_id: str, session: ReadSession, actor: MaybeActor, limit: Limit = 50, after: After = None
) -> Page[CallOffRead]:
    """Public: that an order exists, its items and unit prices; the buyer side, auditors and the supplier
    addressed also see who ordered, who receives, quantities and value."""
    fw, rows = call_offs.list_call_offs(session, framework_id=framework_id, after=after, limit=limit)
    data = [call_off_read(co, full=call_offs.sees_call_off_details(actor, fw, co)) for co in rows]
    return Page[CallOffRead](data=data, next=next_cursor(list(rows), limit))


@router.post(
    "/frameworks/{framework_id}/terminate", response_model=FrameworkDetail, summary="Terminate a framework agreement"
)
def terminate_framework(framework_id: str, body: TerminateFramework, cmd: Cmd) -> Response:
    """An approver ends the framework early, with a reason."""
    return cmd.run(
        lambda s, now: _detail(
            s, service.terminate_framework(s, actor=cmd.actor, now=now, framework_id=framework_id, reason=body.reason)
        ),
        etag=lambda r: r.version,
    )

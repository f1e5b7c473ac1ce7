"""Framework endpoints: HTTP <-> schemas only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import After, Cmd, Limit, MaybeActor, ReadSession, State, json_response, next_cursor
from quartermaster.frameworks import call_offs, service
from quartermaster.frameworks.models import CallOff, Framework
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
from quartermaster.tenders import access

router = APIRouter(prefix="/api/v1", tags=["frameworks"])


def _require_view(session: Session, cmd: Cmd, framework_id: str) -> None:
    """A command's answer goes only to a caller who may see the framework (else it is refused and undone)."""
    access.require_view(session, cmd.actor, framework_id, ocid_prefix=cmd.state.settings.ocid_prefix)


def _shown(session: Session, cmd: Cmd, fw: Framework) -> FrameworkDetail:
    _require_view(session, cmd, fw.id)
    return _detail(session, fw)


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
        lambda s, now: _shown(
            s, cmd, service.conclude_framework(s, actor=cmd.actor, now=now, tender_id=tender_id, end=body.end)
        ),
        status_code=201,
        location=lambda r: f"/api/v1/frameworks/{r.id}",
        etag=lambda r: r.version,
    )


@router.get("/frameworks", response_model=Page[FrameworkRead], summary="List framework agreements")
def list_frameworks(
    session: ReadSession,
    actor: MaybeActor,
    limit: Limit = 50,
    after: After = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    buyer_id: Annotated[str | None, Query(max_length=32)] = None,
    tender_id: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[FrameworkRead]:
    """Framework agreements are public (those of a classified process: to whoever may see it)."""
    rows = list(
        service.list_frameworks(
            session, actor=actor, status=status, buyer_id=buyer_id, tender_id=tender_id, after=after, limit=limit
        )
    )
    return Page[FrameworkRead](data=[framework_read(fw) for fw in rows], next=next_cursor(rows, limit))


@router.get("/frameworks/{framework_id}", response_model=FrameworkDetail, summary="Read a framework agreement")
def get_framework(framework_id: str, session: ReadSession, actor: MaybeActor, state: State) -> Response:
    """One framework with its parties, catalogue (unit prices and remaining quantities) and remaining value."""
    fw = service.get_framework(session, framework_id)
    access.require_view(session, actor, fw.id, ocid_prefix=state.settings.ocid_prefix)
    return json_response(_detail(session, fw), etag=fw.version)


@router.post(
    "/frameworks/{framework_id}/call-offs", status_code=201, response_model=CallOffRead, summary="Place a call-off"
)
def place_call_off(framework_id: str, body: CallOffCreate, cmd: Cmd, state: State) -> Response:
    """A direct order (a pending contract at catalogue prices) or a mini-competition (a draft tender)."""

    def go(s: Session, now: datetime) -> CallOffRead:
        placed = call_offs.place_call_off(
            s, actor=cmd.actor, now=now, framework_id=framework_id, spec=body, lists=state.lists
        )
        _require_view(s, cmd, framework_id)
        return call_off_read(placed, full=True)

    return cmd.run(go, status_code=201)


@router.get("/frameworks/{framework_id}/call-offs", response_model=Page[CallOffRead], summary="Call-offs")
def list_call_offs(
    framework_id: str, session: ReadSession, actor: MaybeActor, state: State, limit: Limit = 50, after: After = None
) -> Page[CallOffRead]:
    """Public: that an order exists, its items and unit prices; the buyer side, auditors and the supplier
    addressed also see who ordered, who receives, quantities and value (of a mini-competition: if they may see it)."""
    fw, rows = call_offs.list_call_offs(session, framework_id=framework_id, after=after, limit=limit)
    access.require_view(session, actor, fw.id, ocid_prefix=state.settings.ocid_prefix)

    def full(co: CallOff) -> bool:
        details = call_offs.sees_call_off_details(actor, fw, co)
        return details and (co.tender_id is None or access.may_view(session, actor, co.tender_id))

    data = [call_off_read(co, full=full(co)) for co in rows]
    return Page[CallOffRead](data=data, next=next_cursor(list(rows), limit))


@router.post(
    "/frameworks/{framework_id}/terminate", response_model=FrameworkDetail, summary="Terminate a framework agreement"
)
def terminate_framework(framework_id: str, body: TerminateFramework, cmd: Cmd) -> Response:
    """An approver ends the framework early, with a reason."""
    return cmd.run(
        lambda s, now: _shown(
            s,
            cmd,
            service.terminate_framework(s, actor=cmd.actor, now=now, framework_id=framework_id, reason=body.reason),
        ),
        etag=lambda r: r.version,
    )

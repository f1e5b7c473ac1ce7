"""Event history endpoints: auditors read everything; a buyer reads its own processes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from quartermaster.actors import Role
from quartermaster.api.deps import CurrentActor, ReadSession, State
from quartermaster.errors import PermissionDenied
from quartermaster.events import service
from quartermaster.events.schemas import EventRead
from quartermaster.schema_base import Page
from quartermaster.tenders import access
from quartermaster.tenders import service as tenders

router = APIRouter(prefix="/api/v1", tags=["events"])

AfterSeq = Annotated[int, Query(ge=0, description="Return events after this sequence number")]
Lim = Annotated[int, Query(ge=1, le=1000)]


@router.get("/events", response_model=Page[EventRead], summary="All events (auditors)")
def list_events(session: ReadSession, actor: CurrentActor, after: AfterSeq = 0, limit: Lim = 500) -> Page[EventRead]:
    """The whole event log in sequence order, less the processes the auditor is not cleared for."""
    if actor.role is not Role.AUDITOR:
        raise PermissionDenied("only auditors read the whole event log", code="auth.auditor_only")
    rows = service.list_events(session, after_seq=after, limit=limit, visible=access.visible_filter(actor, "event"))
    return Page[EventRead](
        data=[EventRead.model_validate(e) for e in rows],
        next=str(rows[-1].seq) if len(rows) == limit else None,
    )


@router.get("/tenders/{tender_id}/events", response_model=Page[EventRead], summary="A process's history")
def process_events(
    tender_id: str, session: ReadSession, actor: CurrentActor, state: State, after: AfterSeq = 0, limit: Lim = 500
) -> Page[EventRead]:
    """Who did what and when in one process: auditors, and the buyer's own staff."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    insider = actor.role in tenders.BUYER_SIDE and actor.organization_id == tender.buyer_id
    if actor.role is not Role.AUDITOR and not insider:
        raise PermissionDenied("only auditors and the buyer's staff read a process's events", code="auth.auditor_only")
    access.require_view(session, actor, tender.id, ocid_prefix=state.settings.ocid_prefix)
    rows = service.process_events(session, tender.id, after_seq=after, limit=limit)
    return Page[EventRead](
        data=[EventRead.model_validate(e) for e in rows],
        next=str(rows[-1].seq) if len(rows) == limit else None,
    )

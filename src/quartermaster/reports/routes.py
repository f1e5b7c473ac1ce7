"""The evaluation report endpoint: HTML (printable), PDF or the JSON record it is made from."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from quartermaster.actors import Role
from quartermaster.api.deps import CurrentActor, ReadSession, State
from quartermaster.errors import PermissionDenied
from quartermaster.reports import evaluation
from quartermaster.tenders import access
from quartermaster.tenders import service as tenders

router = APIRouter(prefix="/api/v1", tags=["reports"])


@router.get(
    "/tenders/{tender_id}/evaluation-report",
    summary="The evaluation report",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
)
def evaluation_report(
    tender_id: str,
    actor: CurrentActor,
    session: ReadSession,
    state: State,
    format: Annotated[Literal["html", "pdf", "json"], Query(description="html (printable), pdf or json")] = "html",
    lang: Annotated[Literal["uk", "en"], Query()] = "uk",
) -> Response:
    """Generated from the recorded decisions: committee, declarations, opening, assessments, evaluations, awards.

    For the buyer's staff, auditors and reviewers; its SHA-256 (over the JSON record) is printed on it."""
    tender = tenders.get_tender(session, tender_id, actor=actor, join_lots=True)
    if actor.role not in (Role.AUDITOR, Role.REVIEWER) and actor.organization_id != tender.buyer_id:
        raise PermissionDenied("the report is for the buyer's staff and overseers", code="report.hidden")
    access.require_view(session, actor, tender.id, ocid_prefix=state.settings.ocid_prefix)
    record = evaluation.build(session, tender, state.clock.now())
    if format == "json":
        return JSONResponse(record)
    if format == "pdf":
        pdf = evaluation.render_pdf(record, lang, evaluation.font_path(state.settings.report_font))
        name = f"evaluation-report-{tender.id}-{lang}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )
    return HTMLResponse(evaluation.render_html(record, lang))

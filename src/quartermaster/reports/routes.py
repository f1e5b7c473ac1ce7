"""The evaluation report endpoint: HTML (printable), PDF or the JSON record it is made from."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import StringConstraints

from quartermaster.actors import Role
from quartermaster.api.deps import Cmd, CurrentActor, ReadSession, State
from quartermaster.decisions.schemas import SignatureIn
from quartermaster.errors import PermissionDenied
from quartermaster.reports import evaluation, signing
from quartermaster.schema_base import Input, Output
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
    record["signatures"] = signing.signed(session, tender.id, record["digest"])
    if format == "json":
        return JSONResponse(record)
    if format == "pdf":
        pdf = evaluation.render_pdf(record, lang, evaluation.font_path(state.settings.report_font))
        name = f"evaluation-report-{tender.id}-{lang}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )
    return HTMLResponse(evaluation.render_html(record, lang))


class ReportSignatureIn(Input):
    """A member's signature over the report's current digest (draft it with POST /api/v1/decisions/draft,
    command ``sign_report``, object the tender, body ``{"digest": ...}``)."""

    digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    signature: SignatureIn | None = None


class ReportSigned(Output):
    """The recorded signature."""

    digest: str
    member_id: str
    signature: dict[str, str] | None


@router.post(
    "/tenders/{tender_id}/evaluation-report/signatures", response_model=ReportSigned, summary="Sign the report"
)
def sign_report(tender_id: str, body: ReportSignatureIn, cmd: Cmd) -> Response:
    """An active committee member signs the report they read (its digest must still be the report's)."""
    return cmd.run(
        lambda s, now: ReportSigned.model_validate(
            signing.sign_report(
                s, actor=cmd.actor, now=now, tender_id=tender_id, digest=body.digest, signature=body.signature
            )
        ),
        status_code=201,
    )

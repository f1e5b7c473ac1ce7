"""The evaluation report in the buyer's pages: read it, download its PDF, and (committee members) sign it.

The report is the one ``GET /api/v1/tenders/{id}/evaluation-report`` serves, built by the same functions
(``reports.evaluation.build``, ``render_html``, ``render_pdf``) in the page's language. Its page
(``/buyer/tenders/{id}/evaluation/report``) shows the report inline with its digest and who signed it; an active
member of the tender's committee signs the digest the page shows as a ``sign_report`` decision, in the browser with
their key file exactly as award decisions are signed (``web/signing.py``, ``static/sign.js``): the form first posts
to its ``/draft`` address, which answers the document ``reports.signing.draft`` builds, and then posts the signature
to ``reports.signing.sign_report``. A report changed since the page was read has another digest and the signature
is refused (``report.stale_digest``): the page then shows the current report to read again.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.api.deps import AppState
from quartermaster.committees import service as committees
from quartermaster.errors import NotFound, PermissionDenied, QMError, ServiceUnavailable, ValidationFailed
from quartermaster.reports import evaluation as report
from quartermaster.reports import signing as report_signing
from quartermaster.tenders.models import Tender
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.refusals import GENERIC, Link, Refusal, denied, explanation
from quartermaster.web.signing import SignatureField, draft_refused, draft_response, signature_of, signing_public_key
from quartermaster.web.staff import is_staff, own_tender
from quartermaster.web.staff import tender_not_found as staff_tender_not_found
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_DIGEST = re.compile(r"[0-9a-f]{64}")
Digest = Annotated[str, Form(max_length=100)]
FIELD_LABELS = {"digest": "Report digest", "signature": "Signature"}
# This page's explanations of codes the common table (refusals.EXPLANATIONS) does not explain, or explains for
# another page.
EXPLANATIONS = {
    "report.stale_digest": "The report has changed since you read it (a later evaluation, assessment or award): "
    "read the current report below and sign it again.",
    "report.already_signed": "You have already signed this report.",
    "report.no_font": "The PDF cannot be made on this server: it needs a Unicode font that is not installed. Read "
    "the report on this page or print it from its own page; an administrator can install fonts-dejavu-core or set "
    "QM_REPORT_FONT.",
    "committee.not_a_member": "Only a member of the tender's evaluation committee signs its report.",
    "opening.recused": "A member who stepped down from the committee does not sign its report.",
}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refusal as this page explains it."""
    made = Refusal.of_schema(exc) if isinstance(exc, ValidationError) else Refusal.of(exc, page="reports")
    text = EXPLANATIONS.get(made.code) or explanation(made.code, "reports") or GENERIC
    return Refusal(made.code, text, made.status, made.notes, made.detail)


def _forbidden(request: Request) -> Response:
    return denied(
        request,
        heading="Evaluation report",
        message="The evaluation report in these pages is for the staff of the buying organization. Auditors and "
        "reviewers read it through the API. Your account may not use this page.",
        links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
    )


def _record(session: Session, state: AppState, tender: Tender) -> dict[str, Any]:
    """The report's record as the API serves it: built from what was recorded, with the signatures of its digest."""
    record = report.build(session, tender, state.clock.now())
    record["signatures"] = report_signing.signed(session, tender.id, record["digest"])
    return record


def _membership(session: Session, tender: Tender, person: Actor) -> str | None:
    """``member`` for an active member of the tender's committee, ``recused`` for one who stepped down, else None."""
    committee = committees.get_committee(session, tender.id)
    mine = next((m for m in committee.members if m.user_id == person.user_id), None) if committee else None
    if mine is None:
        return None
    return "recused" if mine.recused_at is not None else "member"


def _pdf_available(state: AppState) -> bool:
    try:
        report.font_path(state.settings.report_font)
    except ServiceUnavailable:
        return False
    return True


def _report_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    signed: bool = False,
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return staff_tender_not_found(request, person)
        record = _record(session, state, tender)
        membership = _membership(session, tender, person)
        mine = next((s for s in record["signatures"] if s["member_id"] == person.user_id), None)
        page = render(
            request,
            "evaluation/report.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            digest=record["digest"],
            signatures=record["signatures"],
            membership=membership,
            my_signature=mine,
            signing_key=signing_public_key(session, person) if membership == "member" and mine is None else None,
            pdf_available=_pdf_available(state),
            refusal=refusal,
            signed=signed,
            field_labels=FIELD_LABELS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/tenders/{tender_id}/evaluation/report", response_class=HTMLResponse)
def report_page(request: Request, person: Person, tender_id: str, signed: str = "") -> Response:
    """The tender's evaluation report with its digest and signatures, the PDF, and the signing form for members."""
    if not is_staff(person):
        return _forbidden(request)
    return _report_page(request, person, tender_id, signed=signed == "1")


@router.get("/buyer/tenders/{tender_id}/evaluation/report/document", response_class=HTMLResponse)
def report_document(request: Request, person: Person, tender_id: str) -> Response:
    """The report alone, as a printable HTML document in the page's language (what the report page shows)."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    lang = language(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return staff_tender_not_found(request, person)
        html = report.render_html(_record(session, state, tender), lang)
    headers = {"Cache-Control": "no-store", "Content-Language": lang, "Vary": "Accept-Language, Cookie"}
    return HTMLResponse(html, headers=headers)


@router.get("/buyer/tenders/{tender_id}/evaluation/report/pdf")
def report_pdf(request: Request, person: Person, tender_id: str) -> Response:
    """The report as a PDF download in the page's language; without a Unicode font, the report page says why."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    lang = language(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return staff_tender_not_found(request, person)
        record = _record(session, state, tender)
    try:
        pdf = report.render_pdf(record, lang, report.font_path(state.settings.report_font))
    except ServiceUnavailable as exc:
        return _report_page(request, person, tender_id, refusal=_refusal(exc))
    name = f"evaluation-report-{tender_id}-{lang}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


def _digest(text: str) -> str:
    """The report digest the form posts (the one the page showed), or a refusal naming the field."""
    text = text.strip()
    if not _DIGEST.fullmatch(text):
        why = "not the SHA-256 of a report (64 lowercase hexadecimal digits)"
        raise ValidationFailed("the report digest is not valid", errors=[{"field": "digest", "message": why}])
    return text


@router.post("/buyer/tenders/{tender_id}/evaluation/report/signatures", dependencies=[CsrfChecked])
def sign_report(
    request: Request, person: Person, tender_id: str, digest: Digest = "", signature: SignatureField = ""
) -> Response:
    """An active committee member signs the report they read (its digest must still be the report's)."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    try:
        checked = _digest(digest)
        signed_with = signature_of(signature)
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id, join_lots=True)
            report_signing.sign_report(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender.id,
                digest=checked,
                signature=signed_with,
            )
    except NotFound:
        return staff_tender_not_found(request, person)
    except QMError as exc:
        return _report_page(request, person, tender_id, refusal=_refusal(exc))
    return RedirectResponse(f"/buyer/tenders/{tender_id}/evaluation/report?signed=1#signatures", status_code=303)


@router.post("/buyer/tenders/{tender_id}/evaluation/report/signatures/draft", dependencies=[CsrfChecked])
def sign_report_draft(request: Request, person: Person, tender_id: str, digest: Digest = "") -> Response:
    """The document a member signs for the report with this digest (JSON for ``static/sign.js``); nothing changes."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    try:
        with state.db.unit_of_work(write=False) as session:
            tender = own_tender(session, person, tender_id, join_lots=True)
            made = report_signing.draft(session, actor=person, tender_id=tender.id, digest=_digest(digest))
            return draft_response(made, signing_public_key(session, person))
    except (QMError, ValidationError) as exc:
        return draft_refused(request, exc)

"""Attaching documents from the web pages: one CSRF-checked multipart form (``partials/attach.html``) for any page.

``POST /documents`` takes ``related_type``, ``related_id``, ``title``, ``document_type``, the ``file`` and ``next``
(a page of this site to go back to). It checks everything the documents service checks (who may attach what, and
when) before the bytes go to the blob store, then records the document in one transaction with the server's clock.
A refusal changes nothing and shows a page that says why, with the form again (a browser cannot keep the file).

The path ends in ``/documents`` so the app's body limit gives it the upload allowance (``max_upload_bytes``), not
the small JSON one. The file itself may use that allowance less ``FORM_ROOM`` for the form's other fields, so that a
file slightly too large is answered by this page rather than by the body limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from quartermaster.actors import Actor
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.config import Settings
from quartermaster.documents import service as documents
from quartermaster.documents.blobstore import CHUNK, make_blobstore
from quartermaster.documents.models import RELATED_TYPES, Document
from quartermaster.errors import NotFound, QMError
from quartermaster.sealing.documents import MEDIA_TYPE as SEALED_MEDIA_TYPE
from quartermaster.tenders import access
from quartermaster.web.auth import CsrfChecked, MaybePerson, PageRoute, Person
from quartermaster.web.refusals import Refusal
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FORM_ROOM = 64 * 1024  # bytes of the upload allowance kept for the form's other fields and multipart framing
FIELDS = ("related_type", "related_id", "title", "document_type", "next", "sealed")
# The kinds of file people may attach, by extension; the stored media type is ours, not the browser's guess.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".zip": "application/zip",
    ".p7s": "application/pkcs7-signature",
    ".asice": "application/vnd.etsi.asic-e+zip",
}


def refusal_of(error: QMError) -> Refusal:
    """The refusal of a domain error (every NotFound reads the same: existence is not disclosed)."""
    target = "attachment.target_not_found" if isinstance(error, NotFound) else None
    return Refusal.of(error, page="attachments", explain_as=target)


class Refused(Exception):
    """Raised inside ``_attach`` to stop with a refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def _local(code: str, status: int = 422) -> Refused:
    """A refusal the page finds itself, to raise."""
    return Refused(Refusal.local(code, page="attachments", status=status))


def file_limit(settings: Settings) -> int:
    """The largest file the attach form accepts, in bytes."""
    return max(settings.max_upload_bytes - FORM_ROOM, 1)


def safe_next(raw: str) -> bool:
    """True for a path of this site (``/...``), never another host (``//host``, ``/\\host``) nor a scheme."""
    return raw.startswith("/") and not raw.startswith(("//", "/\\")) and not any(c in raw for c in "\r\n\t\\")


def documents_of(session: Session, person: Actor | None, related_type: str, related_id: str) -> Sequence[Document]:
    """The documents of an object that ``person`` may read (latest versions); none when they may see none."""
    try:
        return documents.list_documents(
            session, actor=person, related_type=related_type, related_id=related_id, limit=200
        )
    except QMError:
        return []


@router.get("/documents/{document_id}/content")
def download(request: Request, document_id: str, person: MaybePerson) -> Response:
    """A document's verified bytes for the person of the session (the API's download reads bearer tokens only, so
    a supplier's own sealed bid documents or a confidential one would not download from a page through it)."""
    state: AppState = request.app.state.qm
    blobs = make_blobstore(state.settings)
    with state.db.unit_of_work(write=False) as session:
        try:
            doc = documents.get_document(session, actor=person, document_id=document_id)
            access.require_view(session, person, doc.process_id, ocid_prefix=state.settings.ocid_prefix)
            doc, fh = documents.open_content(session, actor=person, blobs=blobs, document_id=document_id)
        except QMError as exc:
            return render(request, "contracting/document_refused.html", status_code=status_of(exc), code=exc.code)
        headers = {
            "ETag": f'"{doc.sha256}"',
            "Content-Length": str(doc.size),
            "Content-Disposition": "attachment",  # uploaded files never render as pages of this origin
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        return StreamingResponse(
            _chunks(fh, close=True), media_type=doc.content_type, headers=headers, background=BackgroundTask(fh.close)
        )


def _chunks(fh: BinaryIO, *, close: bool = False) -> Iterator[bytes]:
    try:
        fh.seek(0)
        while block := fh.read(CHUNK):
            yield block
    finally:
        if close:
            fh.close()


@router.post("/documents", dependencies=[CsrfChecked])
async def attach(request: Request, person: Person) -> Response:
    """Attach the chosen file to a tender, bid, contract, plan or award; then go back to ``next``."""
    form = await request.form()
    typed = {name: value[:1000] if isinstance(value := form.get(name), str) else "" for name in FIELDS}
    upload = form.get("file")
    return await run_in_threadpool(_attach, request, person, typed, upload if isinstance(upload, UploadFile) else None)


def _attach(request: Request, person: Actor, typed: dict[str, str], upload: UploadFile | None) -> Response:
    state: AppState = request.app.state.qm
    try:
        target = _check(state, person, typed, upload)
        assert upload is not None  # _check refuses a missing file
        blobs = make_blobstore(state.settings)
        stored = documents.store_content(blobs, _chunks(upload.file))
        if stored.size > file_limit(state.settings):  # the declared size was wrong: nothing is recorded
            raise _local("attachment.too_large", 413)
        with state.db.unit_of_work() as session:
            doc = documents.upload_document(
                session,
                actor=person,
                now=state.clock.now(),
                blobs=blobs,
                related_type=typed["related_type"],
                related_id=typed["related_id"],
                title=typed["title"],
                document_type=typed["document_type"],
                content_type=target,
                data=stored,
            )
            access.require_view(session, person, doc.process_id, ocid_prefix=state.settings.ocid_prefix)
    except Refused as stop:
        return _refused(request, state, typed, stop.refusal)
    except QMError as exc:
        return _refused(request, state, typed, refusal_of(exc))
    return RedirectResponse(typed["next"], status_code=303)


def _check(state: AppState, person: Actor, typed: dict[str, str], upload: UploadFile | None) -> str:
    """Everything that can be checked before the bytes are stored; returns the media type to record."""
    if not safe_next(typed["next"]):
        raise _local("attachment.bad_next")
    if "\x00" in typed["title"]:
        raise _local("attachment.bad_text")
    if upload is None or not upload.filename or upload.size == 0:
        raise _local("attachment.no_file")
    if typed["sealed"] == "1":  # sealed in the page (static/seal.js): its name and media type are inside it
        content_type: str | None = SEALED_MEDIA_TYPE
    else:
        content_type = FILE_TYPES.get(PurePosixPath(upload.filename.replace("\\", "/")).suffix.lower())
    if content_type is None:
        raise _local("attachment.type_forbidden", 415)
    if upload.size is not None and upload.size > file_limit(state.settings):
        raise _local("attachment.too_large", 413)
    with state.db.unit_of_work(write=False) as session:
        target = documents.check_upload(
            session,
            actor=person,
            now=state.clock.now(),
            related_type=typed["related_type"],
            related_id=typed["related_id"],
            title=typed["title"].strip(),
            document_type=typed["document_type"],
            content_type=content_type,
        )
        access.require_view(session, person, target.process_id, ocid_prefix=state.settings.ocid_prefix)
    return content_type


def _refused(request: Request, state: AppState, typed: dict[str, str], refusal: Refusal) -> HTMLResponse:
    context: dict[str, Any] = {
        "refusal": refusal,
        "attach_typed": typed,
        "related_type": typed["related_type"] if typed["related_type"] in RELATED_TYPES else "",
        "related_id": typed["related_id"],
        "next": typed["next"] if safe_next(typed["next"]) else "/",
        "limit": file_limit(state.settings),
        "extensions": sorted(FILE_TYPES),
        "sealed": typed["sealed"] == "1",
    }
    return render(request, "contracting/attach_refused.html", status_code=refusal.status, **context)

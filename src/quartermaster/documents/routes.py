"""Documents endpoints: streamed uploads, metadata, verified content. HTTP adaptation only.

An upload's raw request body is the file; its ``Content-Type`` header is the document's content type; ``title``,
``document_type``, ``document_key`` and ``confidential`` are query parameters (query strings carry any Unicode
title percent-encoded, where HTTP headers are Latin-1 only).

Uploads do not use the generic ``Cmd`` dependency: it reads the whole body to hash it for Idempotency-Key. Here the
body is streamed into the BlobStore (outside any database transaction, after a cheap permission check), and the
Idempotency-Key request hash covers the method, path, metadata and the content's SHA-256 instead of the raw body;
the metadata row is then written through the same ``Command`` runner (one transaction, key stored with it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, BinaryIO

import anyio.from_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from quartermaster.api.deps import After, Command, CurrentActor, Limit, MaybeActor, ReadSession, State
from quartermaster.documents import service
from quartermaster.documents.blobstore import CHUNK, BlobStore, make_blobstore
from quartermaster.documents.models import RELATED_TYPES
from quartermaster.documents.schemas import DocumentRead, document_read
from quartermaster.errors import ValidationFailed
from quartermaster.idempotency import service as idem
from quartermaster.publication import receipts
from quartermaster.publication.schemas import BidLogReceiptRead, receipt_read
from quartermaster.schema_base import Page
from quartermaster.tenders import access
from quartermaster.types import MarkingName

router = APIRouter(prefix="/api/v1", tags=["documents"])


def _blobs(state: State) -> BlobStore:
    return make_blobstore(state.settings)


Blobs = Annotated[BlobStore, Depends(_blobs)]
Title = Annotated[
    str | None,
    Query(max_length=300, description="The document's title; none for a sealed bid document, whose title is sealed"),
]
DocType = Annotated[str, Query(max_length=40, description="OCDS documentType code, e.g. technicalSpecifications")]
DocKey = Annotated[str | None, Query(max_length=32, description="Add a new version of this document")]
ContentType = Annotated[str | None, Header(alias="Content-Type", max_length=200)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file itself (not multipart); its Content-Type header is stored with it.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _body_chunks(request: Request, limit: int) -> Iterator[bytes]:
    """The request body as a blocking iterator, for use in a worker thread; 413 past ``limit`` bytes."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    seen = 0
    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        seen += len(chunk)
        if seen > limit:
            raise HTTPException(status_code=413, detail=f"the upload exceeds {limit} bytes")
        if chunk:
            yield chunk


def _request_hash(request: Request, meta: dict[str, Any], sha256: str) -> str:
    head = f"{request.method} {request.url.path}\n{json.dumps(meta, sort_keys=True)}\n{sha256}"
    return hashlib.sha256(head.encode()).hexdigest()


def _upload_endpoint(related_type: str) -> Callable[..., Any]:
    async def upload(
        related_id: str,
        request: Request,
        state: State,
        actor: CurrentActor,
        blobs: Blobs,
        document_type: DocType,
        title: Title = None,
        document_key: DocKey = None,
        confidential: bool = False,
        marking: MarkingName | None = None,
        content_type: ContentType = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        if idempotency_key is not None and not idempotency_key.strip():
            raise ValidationFailed("Idempotency-Key must not be empty", code="idempotency.bad_key")
        args: dict[str, Any] = {
            "actor": actor,
            "related_type": related_type,
            "related_id": related_id,
            "title": title or "",
            "document_type": document_type,
            "document_key": document_key,
            "content_type": (content_type or "application/octet-stream").strip(),
        }
        meta = {k: v for k, v in args.items() if k != "actor"} | {"confidential": confidential, "marking": marking}

        def precheck() -> None:
            with state.db.unit_of_work(write=False) as s:
                # A retry of an upload that already succeeded replays its response, even if uploads closed since.
                if idempotency_key is None or not idem.recorded(s, actor_id=actor.user_id, key=idempotency_key):
                    target = service.check_upload(s, now=state.clock.now(), **args)
                    access.require_view(s, actor, target.process_id, ocid_prefix=state.settings.ocid_prefix)

        await run_in_threadpool(precheck)
        stored = await run_in_threadpool(
            service.store_content, blobs, _body_chunks(request, state.settings.max_upload_bytes)
        )
        cmd = Command(state, actor, idempotency_key, _request_hash(request, meta, stored.sha256), request.url.path)

        def go(s: Session, now: datetime) -> DocumentRead:
            doc = service.upload_document(
                s, now=now, blobs=blobs, data=stored, confidential=confidential, marking=marking, **args
            )
            # Nobody uploads into a process they may not read, nor marks a document above their own clearance.
            access.require_view(s, actor, doc.process_id, ocid_prefix=state.settings.ocid_prefix)
            return document_read(doc)

        return await run_in_threadpool(cmd.run, go, status_code=201, location=lambda r: f"/api/v1/documents/{r.id}")

    upload.__doc__ = (
        f"Upload a {related_type} document (or, with `document_key`, a new version of one). "
        "The raw body is the file; `Content-Type` is its media type; title, document_type, "
        "document_key, confidential and marking (a security marking above the process's) are query parameters."
    )
    return upload


def _list_endpoint(related_type: str) -> Callable[..., Any]:
    def list_documents(
        related_id: str,
        session: ReadSession,
        actor: MaybeActor,
        state: State,
        limit: Limit = 50,
        after: After = None,
        all_versions: Annotated[bool, Query(description="Include superseded versions")] = False,
    ) -> Page[DocumentRead]:
        rows = list(
            service.list_documents(
                session,
                actor=actor,
                related_type=related_type,
                related_id=related_id,
                all_versions=all_versions,
                after=after,
                limit=limit,
            )
        )
        # A document's own marking counts toward its process's ceiling, so seeing the process covers its documents.
        access.require_view_of(session, actor, related_type, related_id, ocid_prefix=state.settings.ocid_prefix)
        return Page[DocumentRead](
            data=[document_read(d) for d in rows], next=str(rows[-1].id) if len(rows) == limit else None
        )

    list_documents.__doc__ = f"Documents of a {related_type}: the latest version of each, or all versions."
    return list_documents


for _rt in RELATED_TYPES:
    router.add_api_route(
        f"/{_rt}s/{{related_id}}/documents",
        _upload_endpoint(_rt),
        methods=["POST"],
        status_code=201,
        response_model=DocumentRead,
        summary=f"Upload a {_rt} document",
        openapi_extra=_UPLOAD_BODY,
        operation_id=f"upload_{_rt}_document",
    )
    router.add_api_route(
        f"/{_rt}s/{{related_id}}/documents",
        _list_endpoint(_rt),
        methods=["GET"],
        response_model=Page[DocumentRead],
        summary=f"List a {_rt}'s documents",
        operation_id=f"list_{_rt}_documents",
    )


@router.get(
    "/documents/{document_id}/receipt",
    response_model=BidLogReceiptRead,
    summary="A sealed bid document's receipt: its logged SHA-256 with a signed checkpoint and an inclusion proof",
)
def document_receipt(document_id: str, session: ReadSession, actor: MaybeActor, state: State) -> BidLogReceiptRead:
    """To the bid's supplier and to auditors; 409 `receipt.not_yet_logged` until a signed checkpoint covers it."""
    log = state.publication.log
    receipt = receipts.document_receipt(session, log, actor=actor, document_id=document_id)
    access.require_view(session, actor, receipt.tender_id, ocid_prefix=state.settings.ocid_prefix)
    return receipt_read(receipt, log.origin)


@router.get("/documents/{document_id}", response_model=DocumentRead, summary="Read a document's metadata")
def get_document(document_id: str, session: ReadSession, actor: MaybeActor, state: State) -> DocumentRead:
    """One document version's metadata."""
    doc = service.get_document(session, actor=actor, document_id=document_id)
    access.require_view(session, actor, doc.process_id, ocid_prefix=state.settings.ocid_prefix)
    return document_read(doc)


def _iterate(fh: BinaryIO) -> Iterator[bytes]:
    try:
        while block := fh.read(CHUNK):
            yield block
    finally:
        fh.close()


@router.get(
    "/documents/{document_id}/content",
    summary="Download a document's verified content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_content(
    document_id: str, session: ReadSession, actor: MaybeActor, blobs: Blobs, state: State
) -> StreamingResponse:
    """The bytes, verified against their SHA-256 first (`ETag` is that hash); served as an attachment."""
    doc, fh = service.open_content(session, actor=actor, blobs=blobs, document_id=document_id)
    try:
        access.require_view(session, actor, doc.process_id, ocid_prefix=state.settings.ocid_prefix)
    except Exception:
        fh.close()
        raise
    headers = {
        "ETag": f'"{doc.sha256}"',
        "Content-Length": str(doc.size),
        # Uploaded files must never render as pages of this origin.
        "Content-Disposition": "attachment",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(
        _iterate(fh), media_type=doc.content_type, headers=headers, background=BackgroundTask(fh.close)
    )

"""Opening a sealed bid's documents at the tender's opening, with the key the committee (or the vault) gave back.

``bids.open_bids`` calls the opener once for each sealed bid whose prices opened. Every sealed document of the bid (the
latest version of each) is read from the blob store (which verifies the bytes against their name), checked against
the SHA-256 its upload event logged (so an insider who points the row at other bytes is caught), and opened for its
tender, supplier and bid. If any fails the bid is invalid for that reason and nothing is written; otherwise each opened
file becomes the document's next version, uploaded by the supplier's person, with its title and media type from
inside the envelope, and a ``DocumentOpened`` event ties the two versions' hashes together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from quartermaster.actors import Actor
from quartermaster.bids import service as bids
from quartermaster.bids.models import Bid
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.documents.blobstore import BlobCorrupted, BlobNotFound, BlobStore
from quartermaster.documents.models import Document
from quartermaster.documents.service import is_media_type
from quartermaster.events.models import Event
from quartermaster.events.service import record_event
from quartermaster.sealing import SealingError
from quartermaster.sealing.documents import DocumentContext, OpenedDocument, open_document
from quartermaster.tenders.models import Tender

DocumentOpener = Callable[[Bid, bytes], str | None]


def sealed_documents(session: Session, bid_id: str) -> list[Document]:
    """The latest version of each of a bid's documents, where that version is sealed, in upload order."""
    newer = aliased(Document)
    latest = select(func.max(newer.version)).where(newer.document_key == Document.document_key)
    stmt = (
        select(Document)
        .where(Document.related_type == "bid", Document.related_id == bid_id, Document.sealed.is_(True))
        .where(Document.version == latest.scalar_subquery())
        .order_by(Document.uploaded_at, Document.id)
    )
    return list(session.scalars(stmt))


def opened_pairs(session: Session, tender_id: str) -> dict[str, list[tuple[Document, Document | None]]]:
    """By bid of the tender: for each document that was ever sealed, its last sealed version and the version it
    opened to (None: not opened). One query for the whole tender."""
    rows = session.scalars(
        select(Document)
        .where(Document.process_id == tender_id, Document.related_type == "bid")
        .order_by(Document.document_key, Document.version)
    )
    by_key: dict[str, list[Document]] = {}
    for row in rows:
        by_key.setdefault(row.document_key, []).append(row)
    pairs: dict[str, list[tuple[Document, Document | None]]] = {}
    for versions in by_key.values():
        sealed = [d for d in versions if d.sealed]
        if sealed:
            last = sealed[-1]
            opened = next((d for d in versions if d.version == last.version + 1 and not d.sealed), None)
            pairs.setdefault(last.related_id, []).append((last, opened))
    for found in pairs.values():
        found.sort(key=lambda pair: (pair[0].uploaded_at, pair[0].id))
    return pairs


def logged_sha256(session: Session, tender_id: str) -> dict[str, str]:
    """Each sealed document's SHA-256 as its upload event recorded it (the log's value, not the row's)."""
    rows = session.execute(
        select(Event.object_id, Event.payload)
        .where(Event.process_id == tender_id, Event.event_type == "DocumentUploaded")
        .order_by(Event.seq)
    )
    return {doc_id: str(payload["sha256"]) for doc_id, payload in rows if payload.get("sealed") is True}


def _open_one(blobs: BlobStore, doc: Document, bid: Bid, private_key: bytes, logged: str | None) -> OpenedDocument:
    if logged is None or logged != doc.sha256:
        raise _Invalid("its SHA-256 differs from the one logged on receipt")
    try:
        with blobs.open(doc.sha256) as fh:
            data = fh.read()
    except (BlobCorrupted, BlobNotFound) as exc:
        raise _Invalid(f"its stored bytes are missing or altered ({exc})") from None
    context = DocumentContext(tender_id=bid.tender_id, supplier_id=bid.supplier_id, bid_id=bid.id)
    try:
        return open_document(private_key, data, logged, expected_context=context)
    except SealingError as exc:
        raise _Invalid(f"{type(exc).__name__}: {exc.message}") from None


class _Invalid(Exception):
    """Why a sealed document does not open."""


def opener(session: Session, *, blobs: BlobStore, actor: Actor, now: datetime, tender_id: str) -> DocumentOpener:
    """The callable ``bids.open_bids`` calls per sealed bid: the reason the bid is invalid, or None once opened."""
    logged = logged_sha256(session, tender_id)

    def open_for(bid: Bid, private_key: bytes) -> str | None:
        docs = sealed_documents(session, bid.id)
        opened: list[tuple[Document, OpenedDocument]] = []
        for doc in docs:
            try:
                opened.append((doc, _open_one(blobs, doc, bid, private_key, logged.get(doc.id))))
            except _Invalid as exc:
                return f"sealed document {doc.document_key} (version {doc.version}) does not open: {exc}"
        for doc, plain in opened:
            _record(session, blobs, actor=actor, now=now, sealed=doc, plain=plain)
        return None

    return open_for


def _record(
    session: Session, blobs: BlobStore, *, actor: Actor, now: datetime, sealed: Document, plain: OpenedDocument
) -> Document:
    sha256 = blobs.put(plain.content)
    # The media type came sealed, unchecked; one the store would not take on upload is recorded as plain bytes.
    content_type = plain.content_type if is_media_type(plain.content_type) else "application/octet-stream"
    doc = Document(
        process_id=sealed.process_id,
        related_type=sealed.related_type,
        related_id=sealed.related_id,
        document_key=sealed.document_key,
        version=sealed.version + 1,
        title=plain.title,
        document_type=sealed.document_type,
        sha256=sha256,
        size=len(plain.content),
        content_type=content_type,
        uploaded_by=sealed.uploaded_by,
        organization_id=sealed.organization_id,
        uploaded_at=now,
        confidential=sealed.confidential,
        marking=sealed.marking,
        sealed=False,
    )
    session.add(doc)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="open_bids",
        event_type="DocumentOpened",
        object_type="document",
        object_id=doc.id,
        process_id=doc.process_id,
        before=None,
        after="opened",
        payload={
            "related_type": doc.related_type,
            "related_id": doc.related_id,
            "document_key": doc.document_key,
            "version": doc.version,
            "sealed_document_id": sealed.id,
            "sealed_sha256": sealed.sha256,
            "sha256": doc.sha256,
            "size": doc.size,
            "title": doc.title,
            "content_type": doc.content_type,
            "document_type": doc.document_type,
        },
    )
    return doc


def open_bids(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    vault: OpeningKeyVault | None,
    blobs: BlobStore,
) -> Tender:
    """``bids.open_bids`` with the tender's sealed documents opened alongside the prices (what the edges call)."""
    open_for = opener(session, blobs=blobs, actor=actor, now=now, tender_id=tender_id)
    return bids.open_bids(session, actor=actor, now=now, tender_id=tender_id, vault=vault, open_documents=open_for)

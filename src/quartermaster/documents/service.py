"""Document use cases: upload a version, list, read metadata and verified content. Services never commit.

Who may read a document follows what it is attached to: the owning context's getter decides visibility (a draft
tender or plan, a bid not yet opened) and answers NotFound, so existence never leaks. Contents are read back
only after the BlobStore has verified them against the recorded SHA-256.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from quartermaster.actors import Actor, Role
from quartermaster.awards import service as awards
from quartermaster.bids import models as bm
from quartermaster.bids import service as bids
from quartermaster.committees import service as committees
from quartermaster.contracts.models import CANCELLED as CONTRACT_CANCELLED
from quartermaster.contracts.models import Contract
from quartermaster.db.base import new_id
from quartermaster.documents.blobstore import BlobCorrupted, BlobNotFound, BlobStore
from quartermaster.documents.models import DOCUMENT_TYPES, RELATED_TYPES, Document
from quartermaster.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import record_event
from quartermaster.plans import models as pm
from quartermaster.plans import service as plans
from quartermaster.sealing import SealingError
from quartermaster.sealing.documents import MAX_HEADER, DocumentContext, read_header
from quartermaster.sealing.documents import MEDIA_TYPE as SEALED_MEDIA_TYPE
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders

log = logging.getLogger("quartermaster.documents")

_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,127}/[A-Za-z0-9!#$&^_.+-]{1,127}(\s*;.{0,150})?")
_KEY = re.compile(r"[0-9a-f]{32}")
# Tender documents may change until bidding closes; afterwards they are what bidders relied on.
_TENDER_OPEN_STATES = (tm.DRAFT, tm.PREQUALIFICATION, tm.PREQUALIFICATION_REVIEW, tm.ENQUIRIES, tm.TENDERING)


@dataclass(frozen=True)
class Target:
    """What a document is attached to, reduced to what the access rules need."""

    related_type: str
    related_id: str
    process_id: str
    buyer_id: str
    supplier_id: str | None  # the bid's, award's or contract's supplier


@dataclass(frozen=True)
class StoredContent:
    """Content already in the BlobStore (streamed there before the transaction began)."""

    sha256: str
    size: int


# --- resolving the related object (visibility comes from its own context) -------------------------------------


def _resolve(session: Session, actor: Actor | None, related_type: str, related_id: str) -> tuple[Target, Any]:
    """The target and its row, or NotFound when it does not exist or ``actor`` may not see it."""
    if related_type == "tender":
        t = tenders.get_tender(session, related_id, actor=actor)
        return Target("tender", t.id, t.id, t.buyer_id, None), t
    if related_type == "bid":
        bid = bids.get_bid(session, actor=actor, bid_id=related_id)  # NotFound before opening, but to its supplier
        t = tenders.get_tender(session, bid.tender_id, actor=actor)
        return Target("bid", bid.id, t.id, t.buyer_id, bid.supplier_id), (bid, t)
    if related_type == "award":
        aw = awards.get_award(session, actor=actor, award_id=related_id)
        t = tenders.get_tender(session, aw.tender_id, actor=actor)
        return Target("award", aw.id, t.id, t.buyer_id, aw.supplier_id), aw
    if related_type == "plan":
        p = plans.get_plan(session, related_id, actor=actor)
        return Target("plan", p.id, p.id, p.buyer_id, None), p
    if related_type == "contract":
        # contracts has no read service yet; contracts of a visible tender (or of a framework) are public.
        c = session.get(Contract, related_id)
        if c is None:
            raise NotFound("contract not found", code="contract.not_found")
        if c.tender_id is not None:
            tenders.get_tender(session, c.tender_id, actor=actor)
        return Target("contract", c.id, c.tender_id or c.framework_id or c.id, c.buyer_id, c.supplier_id), c
    raise ValidationFailed(
        f"documents attach to {', '.join(RELATED_TYPES)}",
        errors=[{"field": "related_type", "message": f"one of {', '.join(RELATED_TYPES)}"}],
    )


def _buyer_staff(actor: Actor | None, target: Target) -> bool:
    return actor is not None and actor.role in tenders.BUYER_SIDE and actor.organization_id == target.buyer_id


def _privileged(actor: Actor | None, target: Target) -> bool:
    """Who reads confidential documents: auditors, the platform itself and the buyer's staff."""
    return actor is not None and (actor.role is Role.AUDITOR or actor.is_system or _buyer_staff(actor, target))


def _may_read(actor: Actor | None, target: Target, doc: Document) -> bool:
    if not doc.confidential or _privileged(actor, target):
        return True
    return actor is not None and actor.organization_id is not None and actor.organization_id == doc.organization_id


# --- who may upload, and when ---------------------------------------------------------------------------------


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PermissionDenied(message, code="document.upload_forbidden")


def _frozen(message: str, **fields: Any) -> RuleViolation:
    return RuleViolation(message, code="document.frozen", **fields)


def _check_upload(target: Target, obj: Any, actor: Actor, now: datetime) -> None:
    if target.related_type == "tender":
        _require(_buyer_staff(actor, target), "only the buyer's staff add tender documents")
        if obj.status not in _TENDER_OPEN_STATES or (obj.tender_end is not None and now >= obj.tender_end):
            raise _frozen(
                "tender documents are frozen once the tender period has ended",
                tender_status=obj.status,
                tender_end=obj.tender_end,
            )
    elif target.related_type in ("award", "plan"):
        _require(_buyer_staff(actor, target), f"only the buyer's staff add {target.related_type} documents")
        if target.related_type == "plan" and obj.status not in (pm.PLAN_DRAFT, pm.PLAN_PUBLISHED):
            raise _frozen(f"the plan is '{obj.status}'", plan_status=obj.status)
    elif target.related_type == "bid":
        bid, tender = obj
        _require(
            actor.role is Role.SUPPLIER and actor.organization_id == bid.supplier_id,
            "only the bidder adds documents to its bid",
        )
        if bid.status != bm.PENDING:
            raise _frozen(
                f"the bid is '{bid.status}'; its documents can change only while it is pending", bid_status=bid.status
            )
        if tender.tender_end is None or now >= tender.tender_end:
            raise RuleViolation(
                "the tender period has ended", code="bid.deadline_passed", deadline=tender.tender_end, received_at=now
            )
    elif target.related_type == "contract":
        supplier = actor.role is Role.SUPPLIER and actor.organization_id == target.supplier_id
        _require(supplier or _buyer_staff(actor, target), "only the contract's parties add contract documents")
        if obj.status == CONTRACT_CANCELLED:
            raise _frozen("the contract is cancelled", contract_status=obj.status)


def is_media_type(text: str) -> bool:
    """Whether ``text`` is a media type this store records (``type/subtype``, optional parameters, ≤ 200 chars)."""
    return len(text) <= 200 and _CONTENT_TYPE.fullmatch(text) is not None


def _check_metadata(
    title: str, document_type: str, content_type: str, document_key: str | None, *, sealed: bool = False
) -> None:
    errors: list[dict[str, str]] = []
    if sealed and title:
        errors.append({"field": "title", "message": "a sealed document's title is sealed inside it: send none"})
    elif not sealed and not 1 <= len(title.strip()) <= 300:
        errors.append({"field": "title", "message": "1 to 300 characters"})
    if document_type not in DOCUMENT_TYPES:
        errors.append(
            {"field": "document_type", "message": f"an OCDS documentType code: {', '.join(sorted(DOCUMENT_TYPES))}"}
        )
    if not is_media_type(content_type):
        errors.append({"field": "content_type", "message": "a media type such as application/pdf"})
    if document_key is not None and not _KEY.fullmatch(document_key):
        errors.append({"field": "document_key", "message": "the document_key of an existing document"})
    if errors:
        raise ValidationFailed("the document's metadata is invalid", errors=errors, code="document.invalid")


def _check_sealing(session: Session, target: Target, obj: Any, *, sealed: bool) -> None:
    """A sealed tender's bid documents are sealed documents; nothing else is."""
    must = target.related_type == "bid" and committees.opening_key_row(session, target.process_id) is not None
    if must and not sealed:
        raise ValidationFailed(
            "this tender's bids are sealed: seal the document to its opening key on your side (quartermaster bid "
            f"attach, or the bid page) and upload it as {SEALED_MEDIA_TYPE}",
            errors=[{"field": "content_type", "message": "plaintext documents are refused on a sealed bid"}],
            code="document.must_be_sealed",
        )
    if sealed and not must:
        raise ValidationFailed(
            "only the bids of a sealed tender take sealed documents: upload the file itself",
            errors=[{"field": "content_type", "message": "nothing here is sealed"}],
            code="document.not_sealed",
        )


def _check_sealed_content(blobs: BlobStore, target: Target, sha256: str, size: int) -> None:
    """The stored bytes are a sealed document for this tender, this bid and its supplier."""
    with blobs.open(sha256) as fh:
        head = fh.read(MAX_HEADER + 1)
    try:
        context, _, offset = read_header(head)
    except SealingError as exc:
        raise ValidationFailed(
            f"the sealed document is not valid: {exc.message}",
            errors=[{"field": "body", "message": exc.message}],
            code="document.bad_envelope",
        ) from None
    assert target.supplier_id is not None
    if context != DocumentContext(target.process_id, target.supplier_id, target.related_id):
        raise ValidationFailed(
            "the document was sealed for another tender, supplier or bid: seal it for this bid",
            errors=[{"field": "body", "message": "wrong tender, supplier or bid in the envelope"}],
            code="document.wrong_context",
        )
    if size - offset < 16:
        raise ValidationFailed(
            "the sealed document is not valid: the ciphertext is shorter than its tag",
            errors=[{"field": "body", "message": "truncated"}],
            code="document.bad_envelope",
        )


def _latest_version(session: Session, target: Target, document_key: str) -> int:
    row = session.execute(
        select(func.max(Document.version), func.count()).where(
            Document.document_key == document_key,
            Document.related_type == target.related_type,
            Document.related_id == target.related_id,
        )
    ).one()
    if not row[1]:
        raise NotFound("no document with this document_key here", code="document.not_found", document_key=document_key)
    return int(row[0])


def check_upload(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    related_type: str,
    related_id: str,
    title: str,
    document_type: str,
    content_type: str,
    document_key: str | None = None,
) -> Target:
    """Everything an upload must satisfy before its bytes are accepted (cheap; call it before streaming)."""
    sealed = content_type == SEALED_MEDIA_TYPE
    _check_metadata(title, document_type, content_type, document_key, sealed=sealed)
    target, obj = _resolve(session, actor, related_type, related_id)
    _check_upload(target, obj, actor, now)
    _check_sealing(session, target, obj, sealed=sealed)
    if document_key is not None:
        _latest_version(session, target, document_key)
    return target


def store_content(blobs: BlobStore, data: bytes | Iterable[bytes]) -> StoredContent:
    """Put the bytes in the BlobStore (streamed when given as chunks); harmless to repeat."""
    if isinstance(data, bytes):
        return StoredContent(blobs.put(data), len(data))
    sha, size = blobs.put_stream(data)
    return StoredContent(sha, size)


def upload_document(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    blobs: BlobStore,
    related_type: str,
    related_id: str,
    title: str,
    document_type: str,
    content_type: str,
    data: bytes | Iterable[bytes] | StoredContent,
    document_key: str | None = None,
    confidential: bool = False,
    marking: str | None = None,
) -> Document:
    """Attach a document, or a new version of ``document_key``, to a tender, bid, contract, plan or award."""
    title = title.strip()
    target = check_upload(
        session,
        actor=actor,
        now=now,
        related_type=related_type,
        related_id=related_id,
        title=title,
        document_type=document_type,
        content_type=content_type,
        document_key=document_key,
    )
    stored = data if isinstance(data, StoredContent) else store_content(blobs, data)
    if not blobs.exists(stored.sha256):
        raise Conflict("the uploaded content is not in the blob store", code="document.integrity", sha256=stored.sha256)
    sealed = content_type == SEALED_MEDIA_TYPE
    if sealed:
        _check_sealed_content(blobs, target, stored.sha256, stored.size)
    version = 1 if document_key is None else _latest_version(session, target, document_key) + 1
    doc = Document(
        process_id=target.process_id,
        related_type=target.related_type,
        related_id=target.related_id,
        document_key=document_key or new_id(),
        version=version,
        title=title,
        document_type=document_type,
        sha256=stored.sha256,
        size=stored.size,
        content_type=content_type,
        uploaded_by=actor.user_id,
        organization_id=actor.organization_id,
        uploaded_at=now,
        confidential=confidential,
        marking=marking,
        sealed=sealed,
    )
    session.add(doc)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent upload took this version number
        raise Conflict(
            "another version of this document was uploaded at the same time; retry",
            code="document.version_conflict",
            document_key=doc.document_key,
        ) from exc
    record_event(
        session,
        actor=actor,
        now=now,
        command="upload_document",
        event_type="DocumentUploaded",
        object_type="document",
        object_id=doc.id,
        process_id=target.process_id,
        before=None,
        after="uploaded",
        payload=_event_payload(doc),
    )
    return doc


def _event_payload(doc: Document) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "related_type": doc.related_type,
        "related_id": doc.related_id,
        "document_key": doc.document_key,
        "version": doc.version,
        "document_type": doc.document_type,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "confidential": doc.confidential,
    }
    if doc.sealed:  # the transparency log records the sha256 as the sealed document's commitment
        payload["sealed"] = True
    # Events are readable by auditors before bid opening: a bid document's title could give its content away,
    # its hash cannot (and later proves that the opened document is the one submitted).
    if doc.related_type != "bid":
        payload["title"] = doc.title
    return payload


# --- reading ---------------------------------------------------------------------------------------------------


def get_document(session: Session, *, actor: Actor | None, document_id: str) -> Document:
    """One document version, NotFound for anyone who may not see it (or what it is attached to)."""
    doc = session.get(Document, document_id)
    if doc is not None:
        try:
            target, _ = _resolve(session, actor, doc.related_type, doc.related_id)
        except NotFound:
            target = None
        if target is not None and _may_read(actor, target, doc):
            return doc
    raise NotFound("document not found", code="document.not_found")


def list_documents(
    session: Session,
    *,
    actor: Actor | None,
    related_type: str,
    related_id: str,
    all_versions: bool = False,
    after: str | None = None,
    limit: int = 50,
) -> Sequence[Document]:
    """Documents of one object in id order (keyset): the latest version of each, or every version."""
    target, _ = _resolve(session, actor, related_type, related_id)
    stmt = (
        select(Document)
        .where(Document.related_type == target.related_type, Document.related_id == target.related_id)
        .order_by(Document.id)
        .limit(limit)
    )
    if after:
        stmt = stmt.where(Document.id > after)
    if not all_versions:
        newer = aliased(Document)
        latest = select(func.max(newer.version)).where(newer.document_key == Document.document_key)
        stmt = stmt.where(Document.version == latest.scalar_subquery())
    if not _privileged(actor, target):
        own = actor.organization_id if actor is not None else None
        stmt = stmt.where(Document.confidential.is_(False) | (Document.organization_id == own))
    return session.scalars(stmt).all()


def open_content(
    session: Session, *, actor: Actor | None, blobs: BlobStore, document_id: str
) -> tuple[Document, BinaryIO]:
    """The document and its verified bytes; a blob that fails verification is withheld (document.integrity)."""
    doc = get_document(session, actor=actor, document_id=document_id)
    try:
        return doc, blobs.open(doc.sha256)
    except BlobCorrupted as exc:
        log.error("document %s: stored content fails verification (%s)", doc.id, exc)
        raise Conflict(
            "the stored content of this document no longer matches its sha256; it is withheld",
            code="document.integrity",
            document_id=doc.id,
            sha256=doc.sha256,
        ) from exc
    except BlobNotFound as exc:
        log.error("document %s: content %s missing from the blob store", doc.id, doc.sha256)
        raise Conflict(
            "the stored content of this document is missing",
            code="document.integrity",
            document_id=doc.id,
            sha256=doc.sha256,
        ) from exc

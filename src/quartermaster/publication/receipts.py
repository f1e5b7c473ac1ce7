"""A sealed bid's or sealed document's receipt: its commitment's log entry, the latest signed checkpoint and the proof.

What a supplier keeps to show that the platform received exactly this envelope before the deadline: anyone holding
the log's verifier key checks the checkpoint's signature, the RFC 9162 inclusion proof of the entry in that
checkpoint's tree, and that the entry's leaf carries the envelope's commitment (``quartermaster.client.receipts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.bids.models import Bid
from quartermaster.documents.models import Document
from quartermaster.errors import Conflict, NotFound
from quartermaster.publication.log import TransparencyLog
from quartermaster.publication.models import SEALED_BID, SEALED_DOCUMENT, LogEntry, SignedCheckpoint


@dataclass(frozen=True)
class BidLogReceipt:
    """A bid's commitment as logged, and the proof that the signed checkpoint's tree includes it."""

    bid_id: str
    tender_id: str
    commitment: str
    submitted_at: datetime
    logged_at: datetime
    entry: LogEntry
    checkpoint: SignedCheckpoint
    proof: tuple[bytes, ...]
    kind: str = SEALED_BID
    document_id: str | None = None  # a sealed document's receipt: the document (of bid ``bid_id``)


def _may_read(actor: Actor | None, bid: Bid) -> bool:
    """The bid's own supplier, and auditors; everyone else is told the bid does not exist."""
    if actor is None:
        return False
    if actor.role is Role.AUDITOR:
        return True
    return actor.role is Role.SUPPLIER and actor.organization_id == bid.supplier_id


def commitment_entry(session: Session, bid: Bid) -> LogEntry | None:
    """The newest sealed-bid entry of ``bid`` whose leaf carries its current commitment (None: not logged)."""
    rows = session.scalars(
        select(LogEntry)
        .where(LogEntry.kind == SEALED_BID, LogEntry.process_id == bid.tender_id, LogEntry.release_id == bid.id)
        .order_by(LogEntry.index.desc())
    )
    for entry in rows:
        if json.loads(entry.leaf_input).get("commitment") == bid.commitment:
            return entry
    return None


def bid_receipt(session: Session, log: TransparencyLog, *, actor: Actor | None, bid_id: str) -> BidLogReceipt:
    """The receipt of a sealed bid; Conflict ``receipt.not_yet_logged`` until a signed checkpoint covers its entry."""
    bid = session.get(Bid, bid_id)
    if bid is None or not _may_read(actor, bid):
        raise NotFound("bid not found", code="bid.not_found")
    if bid.commitment is None:
        raise Conflict(
            "this bid was not sealed, so no commitment of it is in the log; its receipt is the submission's "
            "payload_hash",
            code="receipt.not_sealed",
        )
    entry = commitment_entry(session, bid)
    if entry is None:
        raise Conflict(
            "the log holds no entry with this bid's commitment (it was received before commitments were logged)",
            code="receipt.not_logged",
        )
    checkpoint, proof = _proven(session, log, entry, "the bid's commitment")
    return BidLogReceipt(
        bid_id=bid.id,
        tender_id=bid.tender_id,
        commitment=bid.commitment,
        submitted_at=bid.submitted_at,
        logged_at=entry.published_at,
        entry=entry,
        checkpoint=checkpoint,
        proof=proof,
    )


def _proven(
    session: Session, log: TransparencyLog, entry: LogEntry, what: str
) -> tuple[SignedCheckpoint, tuple[bytes, ...]]:
    """The latest signed checkpoint and the entry's inclusion proof in it; Conflict until a checkpoint covers it."""
    checkpoint = log.latest(session)
    if checkpoint is None or checkpoint.size <= entry.index:
        raise Conflict(
            f"{what} is log entry {entry.index}, but no signed checkpoint covers it yet; the log is "
            "signed every scheduler pass, so ask again in a few seconds",
            code="receipt.not_yet_logged",
            log_index=entry.index,
        )
    return checkpoint, tuple(log.inclusion(session, entry.index, checkpoint.size).hashes)


def document_receipt(session: Session, log: TransparencyLog, *, actor: Actor | None, document_id: str) -> BidLogReceipt:
    """The receipt of a sealed bid document: its SHA-256 as a ``sealed-document`` entry, proven in a checkpoint."""
    doc = session.get(Document, document_id)
    bid = session.get(Bid, doc.related_id) if doc is not None and doc.related_type == "bid" else None
    if doc is None or bid is None or not _may_read(actor, bid):
        raise NotFound("document not found", code="document.not_found")
    if not doc.sealed:
        raise Conflict(
            "this document was not sealed, so no commitment of it is in the log; its sha256 is in its upload event",
            code="receipt.not_sealed",
        )
    entry = session.scalars(
        select(LogEntry)
        .where(LogEntry.kind == SEALED_DOCUMENT, LogEntry.process_id == doc.process_id, LogEntry.release_id == doc.id)
        .order_by(LogEntry.index.desc())
    ).first()
    if entry is None:  # pragma: no cover - every sealed upload logs its commitment in the same transaction
        raise Conflict("the log holds no entry of this document", code="receipt.not_logged")
    checkpoint, proof = _proven(session, log, entry, "the document's SHA-256")
    return BidLogReceipt(
        bid_id=bid.id,
        tender_id=bid.tender_id,
        commitment=doc.sha256,
        submitted_at=doc.uploaded_at,
        logged_at=entry.published_at,
        entry=entry,
        checkpoint=checkpoint,
        proof=proof,
        kind=SEALED_DOCUMENT,
        document_id=doc.id,
    )

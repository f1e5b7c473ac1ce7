"""Check a sealed bid's receipt (``GET /api/v1/bids/{id}/receipt``, or a sealed document's,
``GET /api/v1/documents/{id}/receipt``) on the supplier's side, trusting only the log key.

Three checks, each with its own one-line failure: the checkpoint is a C2SP note signed by the log's key for its
origin; the RFC 9162 inclusion proof takes the logged entry's leaf hash to the checkpoint's root; the entry is the
canonical ``{"commitment":…,"kind":"sealed-bid"}`` leaf of the bid's commitment (and of the envelope the supplier
kept, when given), or the ``sealed-document`` leaf of the document's SHA-256. A receipt that passes proves the log
committed, before anyone could open it, to this envelope (or document).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quartermaster.transparency import (
    Checkpoint,
    KeyFormatError,
    NoteError,
    ProofError,
    Verifier,
    leaf_hash,
    open_checkpoint,
    verify_inclusion,
)
from quartermaster.verify.leaves import (
    SEALED_BID,
    SEALED_DOCUMENT,
    CommitmentLeaf,
    LeafError,
    SealedBidLeaf,
    parse_leaf,
)

_HEX256 = re.compile(r"[0-9a-f]{64}")


class ReceiptError(ValueError):
    """A receipt that does not verify; the message names the check that failed."""


@dataclass(frozen=True)
class CheckedReceipt:
    """What a verified receipt proves: this commitment is entry ``log_index`` of the signed tree ``checkpoint``."""

    bid_id: str
    tender_id: str
    commitment: str
    log_index: int
    checkpoint: Checkpoint
    kind: str = SEALED_BID
    document_id: str | None = None

    def lines(self) -> list[str]:
        """What was checked, one line each."""
        root = base64.b64encode(self.checkpoint.root).decode()
        return [
            f"checkpoint: signed by the log key of {self.checkpoint.origin} (tree size {self.checkpoint.size})",
            f"inclusion: entry {self.log_index} is in the tree with root {root} (RFC 9162 proof verified)",
            f"entry: a {self.kind} leaf carrying commitment {self.commitment}",
        ]


def load_verifier(key: str | Verifier) -> Verifier:
    """A log verifier key: a C2SP vkey string (``name+hexid+base64``), as ``GET /api/v1/log/key`` serves it."""
    if isinstance(key, Verifier):
        return key
    try:
        return Verifier.parse(key.strip())
    except KeyFormatError as exc:
        raise ReceiptError(f"not a log verifier key: {exc.message}") from None


def envelope_commitment(envelope: str) -> str:
    """The commitment of a sealed envelope: lowercase hex SHA-256 of its exact bytes (docs/sealing.md)."""
    return hashlib.sha256(envelope.encode("utf-8")).hexdigest()


def verify_receipt(
    receipt: Mapping[str, Any], verifier_key: str | Verifier, *, commitment: str | None = None
) -> CheckedReceipt:
    """Check a receipt against the log's verifier key (and, if given, the commitment of the envelope you sent)."""
    verifier = load_verifier(verifier_key)
    bid_id, tender_id = _text(receipt, "bid_id"), _text(receipt, "tender_id")
    kind = receipt.get("kind", SEALED_BID)
    if kind not in (SEALED_BID, SEALED_DOCUMENT):
        raise ReceiptError(f"the receipt is for a log entry of kind {kind!r}, not a sealed bid or document")
    document_id = _text(receipt, "document_id") if kind == SEALED_DOCUMENT else None
    logged = _text(receipt, "commitment")
    if not _HEX256.fullmatch(logged):
        raise ReceiptError("the receipt's commitment is not 64 lowercase hex digits")
    if commitment is not None and commitment != logged:
        raise ReceiptError(f"the receipt is for commitment {logged}, not {commitment} (the envelope you kept)")
    index, size = _count(receipt, "log_index"), _count(receipt, "tree_size")
    checkpoint = _checkpoint(_text(receipt, "checkpoint"), verifier)
    if checkpoint.size != size:
        raise ReceiptError(f"the receipt says tree size {size}, but its checkpoint is of size {checkpoint.size}")
    leaf_input = _b64(receipt, "leaf_input")
    hashed = leaf_hash(leaf_input)
    if "leaf_hash" in receipt and _b64(receipt, "leaf_hash") != hashed:
        raise ReceiptError("the receipt's leaf_hash is not the hash of its leaf_input")
    proof = receipt.get("inclusion_proof")
    if not isinstance(proof, list):
        raise ReceiptError("the receipt has no inclusion_proof list")
    hashes = [_decode(p, "inclusion_proof") for p in proof]
    try:
        verify_inclusion(hashed, index, checkpoint.size, hashes, checkpoint.root)
    except ProofError as exc:
        raise ReceiptError(
            f"inclusion: entry {index} is not proven in the signed tree of size {checkpoint.size} ({exc.message})"
        ) from None
    try:
        leaf = parse_leaf(leaf_input)
    except LeafError as exc:
        raise ReceiptError(f"entry: {exc}") from None
    is_kind = isinstance(leaf, SealedBidLeaf) if kind == SEALED_BID else _is_document(leaf)
    if not is_kind:
        raise ReceiptError(f"entry: log entry {index} is not a {kind} entry")
    assert isinstance(leaf, SealedBidLeaf | CommitmentLeaf)
    if leaf.commitment.hex() != logged:
        raise ReceiptError(f"entry: log entry {index} carries commitment {leaf.commitment.hex()}, not {logged}")
    return CheckedReceipt(bid_id, tender_id, logged, index, checkpoint, kind, document_id)


def _is_document(leaf: object) -> bool:
    return isinstance(leaf, CommitmentLeaf) and leaf.kind == SEALED_DOCUMENT


def _checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    try:
        return open_checkpoint(note, [verifier], origin=verifier.name)
    except NoteError as exc:  # SignatureError, UntrustedNoteError and malformed notes alike
        raise ReceiptError(f"checkpoint: {exc.message}") from None


def _text(receipt: Mapping[str, Any], name: str) -> str:
    value = receipt.get(name)
    if not isinstance(value, str) or not value:
        raise ReceiptError(f"the receipt has no {name}")
    return value


def _count(receipt: Mapping[str, Any], name: str) -> int:
    value = receipt.get(name)
    if type(value) is not int or value < 0:
        raise ReceiptError(f"the receipt's {name} is not a non-negative integer")
    return value


def _b64(receipt: Mapping[str, Any], name: str) -> bytes:
    return _decode(receipt.get(name), name)


def _decode(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ReceiptError(f"the receipt's {name} is not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptError(f"the receipt's {name} is not valid base64") from None

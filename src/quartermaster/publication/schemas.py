"""Pydantic output of publication's edge: a sealed bid's logged receipt."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import Field

from quartermaster.publication.receipts import BidLogReceipt
from quartermaster.schema_base import Output


class BidLogReceiptRead(Output):
    """A sealed bid's (or sealed bid document's) receipt: keep it, and check it with ``quartermaster bid receipt``
    (hashes in standard base64).

    ``leaf_input`` is the logged entry (``{"commitment":…,"kind":"sealed-bid"}``, RFC 8785), ``checkpoint`` the C2SP
    signed note of the log's latest tree head, ``inclusion_proof`` the RFC 9162 audit path of entry ``log_index`` in
    that tree of ``tree_size`` entries.
    """

    bid_id: str
    tender_id: str
    commitment: str = Field(description="Lowercase hex SHA-256 of the sealed envelope")
    submitted_at: datetime
    logged_at: datetime = Field(description="When the logged envelope was received (the last amendment's time)")
    log_origin: str
    log_index: int
    leaf_input: str
    leaf_hash: str
    tree_size: int
    checkpoint: str
    inclusion_proof: list[str]
    kind: str = Field(default="sealed-bid", description="The log entry's kind: sealed-bid or sealed-document")
    document_id: str | None = Field(default=None, description="A sealed document's receipt: the document")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def receipt_read(receipt: BidLogReceipt, origin: str) -> BidLogReceiptRead:
    """The receipt's JSON form."""
    return BidLogReceiptRead(
        bid_id=receipt.bid_id,
        tender_id=receipt.tender_id,
        commitment=receipt.commitment,
        submitted_at=receipt.submitted_at,
        logged_at=receipt.logged_at,
        log_origin=origin,
        log_index=receipt.entry.index,
        leaf_input=_b64(receipt.entry.leaf_input),
        leaf_hash=_b64(receipt.entry.leaf_hash),
        tree_size=receipt.checkpoint.size,
        checkpoint=receipt.checkpoint.note,
        inclusion_proof=[_b64(h) for h in receipt.proof],
        kind=receipt.kind,
        document_id=receipt.document_id,
    )

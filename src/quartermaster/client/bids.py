"""Seal a bid on the supplier's side, its prices and its documents: the server receives only envelopes and hashes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from quartermaster.sealing.documents import MEDIA_TYPE, DocumentContext, seal_document
from quartermaster.sealing.encoding import b64url_decode
from quartermaster.sealing.envelope import seal_bid
from quartermaster.sealing.prices import price_payload


@dataclass(frozen=True)
class SealedUpload:
    """What a supplier uploads: the canonical envelope text and, for their own records, its commitment."""

    envelope: str
    commitment: str
    lots: tuple[str, ...]

    def body(self) -> dict[str, object]:
        """The JSON body of ``POST /api/v1/tenders/{id}/bids`` (and of ``/bids/{id}/amend``)."""
        return {"sealed": {"envelope": self.envelope, "lots": list(self.lots)}}


def seal_prices(
    opening_public_key: str, tender_id: str, supplier_id: str, currency: str, prices: Mapping[str, Decimal]
) -> SealedUpload:
    """Seal per-lot prices to the tender's opening key (unpadded base64url, as ``GET .../opening-key`` gives it)."""
    public_key = b64url_decode(opening_public_key, "opening_public_key")
    sealed = seal_bid(public_key, tender_id, supplier_id, price_payload(currency, prices))
    return SealedUpload(sealed.to_bytes().decode("ascii"), sealed.commitment(), tuple(sorted(prices)))


@dataclass(frozen=True)
class SealedFile:
    """A sealed bid document: the bytes to upload (as ``content_type``) and their SHA-256, the logged commitment."""

    data: bytes
    commitment: str
    content_type: str = MEDIA_TYPE


def seal_file(
    opening_public_key: str,
    tender_id: str,
    supplier_id: str,
    bid_id: str,
    *,
    title: str,
    content_type: str,
    content: bytes,
) -> SealedFile:
    """Seal a file with its title and media type to the tender's opening key, for one bid of one supplier.

    Upload ``data`` as the body of ``POST /api/v1/bids/{bid_id}/documents?document_type=...`` with the
    ``Content-Type`` ``content_type`` and no title: the title travels sealed, and opens with the bids.
    """
    public_key = b64url_decode(opening_public_key, "opening_public_key")
    context = DocumentContext(tender_id=tender_id, supplier_id=supplier_id, bid_id=bid_id)
    sealed = seal_document(public_key, context, title=title, content_type=content_type, content=content)
    return SealedFile(sealed.to_bytes(), sealed.commitment())

"""Seal a price bid on the supplier's side: the server receives only the envelope and its commitment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

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

"""The OCDS extensions our releases use, declared in every package's `extensions` array.

URLs are the versioned `extension.json` files listed in the OCDS extension registry (open-contracting/
extension_registry, extension_versions.csv): the v1.1.5 tags of the core extensions maintained under
github.com/open-contracting-extensions. A versioned URL, not `master`, so the declared schema never moves.
"""

from __future__ import annotations

from typing import Final

_BASE: Final = "https://raw.githubusercontent.com/open-contracting-extensions"

# name -> extension.json URL. What each adds that we publish:
#   lots: tender.lots[], items[].relatedLot, awards[].relatedLots, bids.details[].relatedLots
#   bids: bids.details[] (only bids that have been opened), awards[].relatedBid
#   enquiries: tender.enquiries[] (questions and answers, without the asking organization)
EXTENSIONS: Final[dict[str, str]] = {
    "lots": f"{_BASE}/ocds_lots_extension/v1.1.5/extension.json",
    "bids": f"{_BASE}/ocds_bid_extension/v1.1.5/extension.json",
    "enquiries": f"{_BASE}/ocds_enquiry_extension/v1.1.5/extension.json",
}

EXTENSION_URLS: Final[tuple[str, ...]] = tuple(EXTENSIONS.values())

"""Check a tender's opening record (``GET /api/v1/tenders/{id}/opening``) without trusting the platform.

For every sealed bid in the record: its envelope hashes to its commitment; that commitment is a sealed-bid entry of
the verified log (so the envelope existed, unchanged, when the log said it was received); the published private key
is the opening key's (its public half is the one suppliers sealed to); and re-opening the envelope gives exactly the
published prices — or, for a bid the platform declared invalid, fails for a reason the platform's rules name. A
platform that swapped a price, dropped a valid bid or opened a bid never logged is caught here.

A bid's sealed documents are checked the same way where the verifier can read them (documents marked confidential
are not public): the ciphertext hashes to a ``sealed-document`` entry of the log and opens, for this tender, supplier
and bid, to exactly the file the platform published as the opened version. A bid declared invalid whose prices open
must have a document that does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from quartermaster.sealing import BidContext, SealingError, open_bid, parse_sealed_bid
from quartermaster.sealing.documents import DocumentContext, open_document
from quartermaster.sealing.encoding import b64url_decode
from quartermaster.sealing.hpke import public_key_of
from quartermaster.sealing.prices import parse_price_payload
from quartermaster.transparency import Checkpoint, leaf_hash
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.leaves import (
    COMMITMENT_KINDS,
    SEALED_BID,
    CommitmentLeaf,
    Frontier,
    LeafError,
    SealedBidLeaf,
    parse_leaf,
)
from quartermaster.verify.sources import LogSource


@dataclass(frozen=True)
class OpeningReport:
    """What a successful check found."""

    tender_id: str
    mode: str
    opened: int
    invalid: int
    documents: int = 0
    unreadable: int = 0

    def summary(self) -> str:
        """One line."""
        line = (
            f"opening of tender {self.tender_id} ({self.mode} key) verified: {self.opened} bids re-opened to the "
            f"published prices, {self.invalid} invalid bids fail to open as the record says; every envelope's "
            "commitment is in the log"
        )
        if self.documents or self.unreadable:
            line += f"; {self.documents} sealed documents re-opened to the published files"
            if self.unreadable:
                line += f" ({self.unreadable} not readable here, checked against the log only)"
        return line


# Reads a sealed document's bytes from the record's URL; None when this reader may not (a confidential document).
FetchDocument = Callable[[str], bytes | None]


@dataclass
class _DocumentCheck:
    private_key: bytes
    tender_id: str
    logged: Collection[str] | None
    fetch: FetchDocument | None
    reopened: int = 0
    unreadable: int = 0

    def failure(self, bid: Mapping[str, Any], doc: Mapping[str, Any], *, opened_bid: bool = True) -> str | None:
        """Why ``doc`` does not open (for an opened bid: as the record says); None when it does, or when it cannot
        be read here (counted)."""
        sha256, opened = str(_field(doc, "sha256")), doc.get("opened_sha256")
        if self.logged is not None and sha256 not in self.logged:
            return f"sha256 {sha256[:16]}… is not a sealed-document entry of the log"
        data = self.fetch(str(_field(doc, "url"))) if self.fetch is not None else None
        if data is None:
            self.unreadable += 1
            return None
        context = DocumentContext(self.tender_id, str(_field(bid, "supplier_id")), str(_field(bid, "bid_id")))
        try:
            plain = open_document(self.private_key, data, sha256, expected_context=context)
        except SealingError as exc:
            return f"{type(exc).__name__}: {exc.message}"
        if not opened_bid:  # an invalid bid's documents stay unopened: what matters is whether they open
            return None
        if opened is None:
            return "it opens, but the record shows it unopened"
        if hashlib.sha256(plain.content).hexdigest() != opened:
            return "it opens to another file than the one published as its opened version"
        self.reopened += 1
        return None


def _field(record: Mapping[str, Any], name: str) -> Any:
    try:
        return record[name]
    except (KeyError, TypeError):
        raise InputError(f"the opening record has no {name!r}") from None


def _open(
    private_key: bytes, tender_id: str, currency: str, bid: Mapping[str, Any]
) -> tuple[dict[str, Decimal] | None, str | None]:
    """The prices inside the bid's envelope, or why it does not open (the platform's own rules)."""
    try:
        envelope = parse_sealed_bid(str(_field(bid, "envelope")).encode("utf-8"))
        context = BidContext(tender_id=tender_id, supplier_id=str(_field(bid, "supplier_id")), lot_id=None)
        plaintext = open_bid(private_key, envelope, str(_field(bid, "commitment")), expected_context=context)
        found_currency, prices = parse_price_payload(plaintext)
    except SealingError as exc:
        return None, f"{type(exc).__name__}: {exc.message}"
    if found_currency != currency:
        return None, f"sealed in {found_currency}, the tender is in {currency}"
    if sorted(prices) != sorted(_field(bid, "sealed_lots")):
        return None, "the sealed prices name other lots than the bid was submitted for"
    if any(price != round(price, 2) for price in prices.values()):
        return None, "a price has more than two decimal places"
    return prices, None


def _published(bid: Mapping[str, Any]) -> dict[str, Decimal]:
    try:
        return {str(v["lot_id"]): Decimal(str(v["amount"])) for v in _field(bid, "values")}
    except (KeyError, TypeError, InvalidOperation):
        raise InputError(f"bid {bid.get('bid_id')}: the record's values are malformed") from None


def check_opening(
    record: Mapping[str, Any],
    logged_commitments: Collection[str],
    *,
    logged_documents: Collection[str] | None = None,
    fetch: FetchDocument | None = None,
) -> OpeningReport:
    """Check ``record`` against the commitments of the verified log; VerifyError naming the first discrepancy.

    ``logged_documents``: the log's sealed-document entries (None: a record from before sealed documents, not
    checked); ``fetch`` reads a sealed document's ciphertext so it is re-opened too.
    """
    tender_id, currency = str(_field(record, "tender_id")), str(_field(record, "currency"))
    try:
        private_key = b64url_decode(str(_field(record, "private_key")), "private_key")
        public_key = b64url_decode(str(_field(record, "public_key")), "public_key")
    except SealingError:
        raise InputError("the opening record's keys are not base64url") from None
    if len(private_key) != 32 or public_key_of(private_key) != public_key:
        raise VerifyError(f"tender {tender_id}: the published private key is not the opening key's")
    opened = invalid = 0
    documents = _DocumentCheck(private_key, tender_id, logged_documents, fetch)
    for bid in _field(record, "bids"):
        bid_id, commitment = _field(bid, "bid_id"), str(_field(bid, "commitment"))
        hashed = hashlib.sha256(str(_field(bid, "envelope")).encode("utf-8")).hexdigest() == commitment
        docs = bid.get("documents") or []
        if _field(bid, "status") == "disqualified" and _field(bid, "values") == []:  # invalidated at the opening
            if hashed and commitment in logged_commitments and _open(private_key, tender_id, currency, bid)[0]:
                before = documents.unreadable
                failing = [doc for doc in docs if documents.failure(bid, doc, opened_bid=False) is not None]
                if not failing and documents.unreadable == before:
                    raise VerifyError(
                        f"bid {bid_id}: declared invalid, but its envelope opens to valid prices"
                        + (" and every sealed document opens" if docs else "")
                    )
            invalid += 1
            continue
        if not hashed:
            raise VerifyError(f"bid {bid_id}: the envelope does not hash to its commitment")
        if commitment not in logged_commitments:
            raise VerifyError(f"bid {bid_id}: commitment {commitment[:16]}… is not a sealed-bid entry of the log")
        prices, problem = _open(private_key, tender_id, currency, bid)
        if prices is None:
            raise VerifyError(f"bid {bid_id}: published as opened, but its envelope does not open ({problem})")
        if _published(bid) != prices:
            raise VerifyError(f"bid {bid_id}: the published prices are not the ones sealed in its envelope")
        for doc in docs:
            problem = documents.failure(bid, doc)
            if problem is not None:
                key = _field(doc, "document_key")
                raise VerifyError(f"bid {bid_id}: published as opened, but its sealed document {key}: {problem}")
        opened += 1
    return OpeningReport(
        tender_id=tender_id,
        mode=str(_field(record, "mode")),
        opened=opened,
        invalid=invalid,
        documents=documents.reopened,
        unreadable=documents.unreadable,
    )


def logged_commitments(source: LogSource, checkpoint: Checkpoint) -> dict[str, set[str]]:
    """The commitments of the commitment-only entries under ``checkpoint`` (already verified), by kind
    (``sealed-bid``, ``decision``, ``key-enrolment``), read again from ``source``.

    The entries are re-read, so their root is recomputed and compared with the checkpoint's: a source that serves
    other entries the second time is caught rather than trusted.
    """
    frontier, count = Frontier(), 0
    found: dict[str, set[str]] = {kind: set() for kind in COMMITMENT_KINDS}
    for entry in source.entries(checkpoint.size):
        if count == checkpoint.size:  # an export may hold entries newer than its latest checkpoint: not verified
            break
        if entry.index != count:
            raise VerifyError(f"{entry.where}: expected entry {count}, got {entry.index}")
        try:
            leaf = parse_leaf(entry.leaf_input)
        except LeafError as exc:
            raise VerifyError(f"{entry.where}: {exc}") from None
        frontier.append(leaf_hash(entry.leaf_input))
        if isinstance(leaf, SealedBidLeaf):
            found[SEALED_BID].add(leaf.commitment.hex())
        elif isinstance(leaf, CommitmentLeaf):
            found[leaf.kind].add(leaf.commitment.hex())
        count += 1
    if count != checkpoint.size or frontier.root() != checkpoint.root:
        raise VerifyError("the entries read again do not give the verified checkpoint's root")
    return found


def opening_record(source: LogSource, tender_id: str) -> dict[str, Any]:
    """The tender's opening record from a server source (an exported directory holds none)."""
    fetch = getattr(source, "opening_record", None)
    if fetch is None:
        raise InputError("opening records are read from a server: give its URL rather than an export directory")
    record: dict[str, Any] = fetch(tender_id)
    return record

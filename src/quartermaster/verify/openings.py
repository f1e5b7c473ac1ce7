"""Check a tender's opening record (``GET /api/v1/tenders/{id}/opening``) without trusting the platform.

For every sealed bid in the record: its envelope hashes to its commitment; that commitment is a sealed-bid entry of
the verified log (so the envelope existed, unchanged, when the log said it was received); the published private key
is the opening key's (its public half is the one suppliers sealed to); and re-opening the envelope gives exactly the
published prices — or, for a bid the platform declared invalid, fails for a reason the platform's rules name. A
platform that swapped a price, dropped a valid bid or opened a bid never logged is caught here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from quartermaster.sealing import BidContext, SealingError, open_bid, parse_sealed_bid
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

    def summary(self) -> str:
        """One line."""
        return (
            f"opening of tender {self.tender_id} ({self.mode} key) verified: {self.opened} bids re-opened to the "
            f"published prices, {self.invalid} invalid bids fail to open as the record says; every envelope's "
            "commitment is in the log"
        )


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


def check_opening(record: Mapping[str, Any], logged_commitments: Collection[str]) -> OpeningReport:
    """Check ``record`` against the commitments of the verified log; VerifyError naming the first discrepancy."""
    tender_id, currency = str(_field(record, "tender_id")), str(_field(record, "currency"))
    try:
        private_key = b64url_decode(str(_field(record, "private_key")), "private_key")
        public_key = b64url_decode(str(_field(record, "public_key")), "public_key")
    except SealingError:
        raise InputError("the opening record's keys are not base64url") from None
    if len(private_key) != 32 or public_key_of(private_key) != public_key:
        raise VerifyError(f"tender {tender_id}: the published private key is not the opening key's")
    opened = invalid = 0
    for bid in _field(record, "bids"):
        bid_id, commitment = _field(bid, "bid_id"), str(_field(bid, "commitment"))
        hashed = hashlib.sha256(str(_field(bid, "envelope")).encode("utf-8")).hexdigest() == commitment
        if _field(bid, "status") == "disqualified" and _field(bid, "values") == []:  # invalidated at the opening
            if hashed and commitment in logged_commitments and _open(private_key, tender_id, currency, bid)[0]:
                raise VerifyError(f"bid {bid_id}: declared invalid, but its envelope opens to valid prices")
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
        opened += 1
    return OpeningReport(tender_id=tender_id, mode=str(_field(record, "mode")), opened=opened, invalid=invalid)


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

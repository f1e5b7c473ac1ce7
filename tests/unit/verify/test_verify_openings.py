"""The opening-record check: a faithful record passes; every way a platform could cheat is named."""

from __future__ import annotations

import copy
import hashlib
from decimal import Decimal
from typing import Any

import pytest

from quartermaster.sealing import generate_key_pair, price_payload, seal_bid
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.openings import check_opening

TENDER = "tender-1"


def _bid(key: bytes, supplier: str, prices: dict[str, str], *, currency: str = "UAH") -> dict[str, Any]:
    payload = price_payload(currency, {lot: Decimal(p) for lot, p in prices.items()})
    envelope = seal_bid(key, TENDER, supplier, payload).to_bytes().decode()
    return {
        "bid_id": f"bid-{supplier}",
        "supplier_id": supplier,
        "commitment": hashlib.sha256(envelope.encode()).hexdigest(),
        "envelope": envelope,
        "sealed_lots": sorted(prices),
        "status": "valid",
        "status_reason": None,
        "values": [{"lot_id": lot, "amount": p, "currency": currency} for lot, p in sorted(prices.items())],
    }


@pytest.fixture
def record() -> dict[str, Any]:
    pair = generate_key_pair()
    bids = [_bid(pair.public_key, "s1", {"lot-1": "100.50"}), _bid(pair.public_key, "s2", {"lot-1": "99.00"})]
    invalid = _bid(pair.public_key, "s3", {"lot-1": "1.00"}, currency="EUR")
    invalid |= {"status": "disqualified", "status_reason": "currency", "values": []}
    return {
        "tender_id": TENDER,
        "currency": "UAH",
        "mode": "threshold",
        "public_key": b64url_encode(pair.public_key),
        "private_key": b64url_encode(pair.private_key),
        "bids": [*bids, invalid],
    }


def logged(record: dict[str, Any]) -> set[str]:
    return {b["commitment"] for b in record["bids"]}


def test_a_faithful_record_verifies(record: dict[str, Any]) -> None:
    report = check_opening(record, logged(record))
    assert (report.opened, report.invalid) == (2, 1)
    assert "2 bids re-opened" in report.summary()


def test_a_swapped_price_is_caught(record: dict[str, Any]) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][0]["values"][0]["amount"] = "90.00"
    with pytest.raises(VerifyError, match="not the ones sealed"):
        check_opening(cheat, logged(record))


def test_a_valid_bid_declared_invalid_is_caught(record: dict[str, Any]) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][1] |= {"status": "disqualified", "values": []}
    with pytest.raises(VerifyError, match="opens to valid prices"):
        check_opening(cheat, logged(record))


def test_an_envelope_never_logged_is_caught(record: dict[str, Any]) -> None:
    with pytest.raises(VerifyError, match="not a sealed-bid entry"):
        check_opening(record, logged(record) - {record["bids"][0]["commitment"]})


def test_an_envelope_that_does_not_hash_to_its_commitment_is_caught(record: dict[str, Any]) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][0]["envelope"] = record["bids"][1]["envelope"]
    with pytest.raises(VerifyError, match="does not hash"):
        check_opening(cheat, logged(record))


def test_a_wrong_private_key_is_caught(record: dict[str, Any]) -> None:
    cheat = copy.deepcopy(record)
    cheat["private_key"] = b64url_encode(generate_key_pair().private_key)
    with pytest.raises(VerifyError, match="not the opening key"):
        check_opening(cheat, logged(record))


def test_an_opened_bid_whose_envelope_does_not_open_is_caught(record: dict[str, Any]) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][2] |= {"status": "valid", "values": [{"lot_id": "lot-1", "amount": "1.00", "currency": "UAH"}]}
    with pytest.raises(VerifyError, match="does not open"):
        check_opening(cheat, logged(record))


@pytest.mark.parametrize("broken", [{"private_key": "***"}, {"bids": [{"bid_id": "x"}]}, {"tender_id": None}])
def test_a_malformed_record_is_an_input_error(record: dict[str, Any], broken: dict[str, Any]) -> None:
    cheat = {**record, **broken}
    if broken.get("tender_id", 0) is None:
        del cheat["tender_id"]
    with pytest.raises(InputError):
        check_opening(cheat, logged(record))

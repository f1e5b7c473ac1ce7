"""A sealed bid's receipt: its commitment is a log entry, proven by an inclusion proof in a signed checkpoint.

The receipt is checked on the supplier's side with ``quartermaster.client.verify_receipt``, trusting only the log's
verifier key; every altered part (key, checkpoint, proof, leaf, commitment) is refused with its own reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.client import ReceiptError, seal_prices, verify_receipt
from quartermaster.db.tx import Database
from quartermaster.publication.log import TransparencyLog
from quartermaster.scheduler import integrate_log
from quartermaster.transparency import Signer
from quartermaster.types import FixedClock
from quartermaster.verify.leaves import SealedBidLeaf, parse_leaf
from support.flows import Flow, ok, tender_body
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1 seals bids


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def log_of(f: Flow) -> TransparencyLog:
    return f.c.app.state.qm.publication.log  # type: ignore[attr-defined,no-any-return]


def sign(f: Flow) -> int | None:
    """The scheduler's log step: sign a checkpoint over every committed entry."""
    return integrate_log(f.db, f.clock, log_of(f))


def log_key(f: Flow) -> str:
    return str(ok(f.c.get("/api/v1/log/key"))["verifier_key"])


def tendering(f: Flow) -> dict[str, Any]:
    body = tender_body("open", lots=2)
    t = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    pub = f.publish(t["id"])
    if pub["enquiry_end"]:
        f.advance_to(pub["enquiry_end"])
    return f.tender(t["id"], "buyer")


def sealed(f: Flow, tender: dict[str, Any], supplier: str, price: str) -> dict[str, Any]:
    key = ok(f.c.get(f"/api/v1/tenders/{tender['id']}/opening-key"))
    org = f.w[supplier].organization_id
    assert org is not None
    prices = {tender["lots"][0]["id"]: Decimal(price)}
    return seal_prices(key["public_key"], tender["id"], org, "UAH", prices).body()


def submit(f: Flow, tender: dict[str, Any], supplier: str, price: str) -> dict[str, Any]:
    body = sealed(f, tender, supplier, price)
    url = f"/api/v1/tenders/{tender['id']}/bids"
    return ok(f.c.post(url, json=body, headers=f.h(supplier)), 201)  # type: ignore[no-any-return]


def receipt_of(f: Flow, bid_id: str, who: str = "supplier0") -> Any:
    return f.c.get(f"/api/v1/bids/{bid_id}/receipt", headers=f.h(who))


def test_a_sealed_bid_receipt_proves_its_commitment_is_in_the_signed_log(f: Flow) -> None:
    t = tendering(f)
    submitted = submit(f, t, "supplier0", "900000.00")

    pending = receipt_of(f, submitted["bid_id"])
    assert pending.status_code == 409
    assert pending.headers["content-type"].startswith("application/problem+json")
    assert pending.json()["code"] == "receipt.not_yet_logged"

    assert sign(f) is not None
    receipt = ok(receipt_of(f, submitted["bid_id"]))
    assert receipt["bid_id"] == submitted["bid_id"]
    assert receipt["tender_id"] == t["id"]
    assert receipt["commitment"] == submitted["commitment"]
    leaf = base64.b64decode(receipt["leaf_input"])
    assert (
        leaf
        == json.dumps({"commitment": submitted["commitment"], "kind": "sealed-bid"}, separators=(",", ":")).encode()
    )
    assert parse_leaf(leaf) == SealedBidLeaf(bytes.fromhex(submitted["commitment"]))
    assert receipt["tree_size"] == receipt["log_index"] + 1  # the bid was the last change before signing
    assert receipt["checkpoint"] == f.c.get("/api/v1/log/checkpoint").text

    checked = verify_receipt(receipt, log_key(f), commitment=submitted["commitment"])
    assert (checked.bid_id, checked.log_index, checked.checkpoint.size) == (
        submitted["bid_id"],
        receipt["log_index"],
        receipt["tree_size"],
    )
    # The log serves the same entry to everyone, and its leaf names neither tender nor supplier.
    served = ok(f.c.get("/api/v1/log/entries", params={"start": receipt["log_index"], "end": receipt["tree_size"]}))
    assert served["entries"][0]["leaf_input"] == receipt["leaf_input"]
    assert t["id"] not in leaf.decode()


def test_the_receipt_is_shown_to_its_supplier_and_auditors_only(f: Flow) -> None:
    t = tendering(f)
    submitted = submit(f, t, "supplier0", "900000.00")
    sign(f)
    assert ok(receipt_of(f, submitted["bid_id"], "auditor"))["commitment"] == submitted["commitment"]
    for who in ("supplier1", "buyer", "evaluator"):
        refused = receipt_of(f, submitted["bid_id"], who)
        assert refused.status_code == 404, who
        assert refused.json()["code"] == "bid.not_found"
    assert f.c.get(f"/api/v1/bids/{submitted['bid_id']}/receipt").status_code == 404
    assert receipt_of(f, "no-such-bid").json()["code"] == "bid.not_found"


def test_an_amended_bid_receipt_proves_the_new_envelope_and_the_old_one_no_longer_matches(f: Flow) -> None:
    t = tendering(f)
    first = submit(f, t, "supplier0", "900000.00")
    sign(f)
    old = ok(receipt_of(f, first["bid_id"]))
    body = sealed(f, t, "supplier0", "850000.00")
    ok(f.c.post(f"/api/v1/bids/{first['bid_id']}/amend", json=body, headers=f.h("supplier0")))
    new_commitment = hashlib.sha256(body["sealed"]["envelope"].encode()).hexdigest()
    assert receipt_of(f, first["bid_id"]).json()["code"] == "receipt.not_yet_logged"
    sign(f)
    new = ok(receipt_of(f, first["bid_id"]))
    assert new["commitment"] == new_commitment != old["commitment"]
    assert new["log_index"] > old["log_index"]
    verify_receipt(new, log_key(f), commitment=new_commitment)
    with pytest.raises(ReceiptError, match=r"not [0-9a-f]{64} \(the envelope you kept\)"):
        verify_receipt(new, log_key(f), commitment=old["commitment"])
    verify_receipt(old, log_key(f))  # the first envelope stays provably received (in an older tree)


def test_sealed_bid_entries_are_log_leaves_but_not_feed_items(f: Flow) -> None:
    t = tendering(f)
    submit(f, t, "supplier0", "900000.00")
    submit(f, t, "supplier1", "800000.00")
    size = sign(f)
    assert size is not None
    feed = ok(f.c.get("/api/v1/feed", params={"limit": 500}))["data"]
    entries = ok(f.c.get("/api/v1/log/entries", params={"start": 0, "end": size}))["entries"]
    kinds = [json.loads(base64.b64decode(e["leaf_input"]))["kind"] for e in entries]
    assert kinds.count("sealed-bid") == 2
    assert len(feed) == size - 2
    assert {item["kind"] for item in feed} <= {"release", "disclosure"}
    assert [item["index"] for item in feed] == [i for i, k in enumerate(kinds) if k != "sealed-bid"]


def test_a_plaintext_bid_has_no_logged_receipt(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.to_tendering("open")  # the default test clock is under a rulebook without sealing
    bid = f.bid(tid, "supplier0", "900000.00")
    assert bid["commitment"] is None
    refused = receipt_of(f, bid["bid_id"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "receipt.not_sealed"


@pytest.fixture
def receipt(f: Flow) -> dict[str, Any]:
    t = tendering(f)
    submit(f, t, "supplier1", "700000.00")  # entries before and after: a proof with more than one hash
    submitted = submit(f, t, "supplier0", "900000.00")
    submit(f, t, "supplier2", "950000.00")
    sign(f)
    return ok(receipt_of(f, submitted["bid_id"]))  # type: ignore[no-any-return]


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_each_altered_part_of_a_receipt_is_refused_with_its_reason(f: Flow, receipt: dict[str, Any]) -> None:
    key = log_key(f)
    verify_receipt(receipt, key)
    assert len(receipt["inclusion_proof"]) >= 2
    other_key = Signer.generate(receipt["log_origin"]).verifier().key_string
    other_entry = ok(f.c.get("/api/v1/log/entries", params={"start": 0, "end": 1}))["entries"][0]
    note = receipt["checkpoint"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "checkpoint: "),  # checked with another log's key
        ({"checkpoint": note.replace(f"\n{receipt['tree_size']}\n", f"\n{receipt['tree_size'] + 1}\n")}, "checkpoint"),
        ({"inclusion_proof": [_flip(receipt["inclusion_proof"][0]), *receipt["inclusion_proof"][1:]]}, "inclusion"),
        ({"inclusion_proof": receipt["inclusion_proof"][:-1]}, "inclusion"),
        ({"log_index": receipt["log_index"] + 1}, "inclusion"),
        ({"leaf_input": other_entry["leaf_input"], "leaf_hash": other_entry["leaf_hash"]}, "inclusion"),
        ({"leaf_hash": _flip(receipt["leaf_hash"])}, "leaf_hash is not the hash"),
        ({"commitment": "0" * 64}, "entry: log entry .* carries commitment"),
        ({"commitment": "XYZ"}, "not 64 lowercase hex"),
        ({"tree_size": receipt["tree_size"] + 1}, "tree size"),
        ({"inclusion_proof": "nope"}, "no inclusion_proof list"),
        ({"leaf_input": "%%%"}, "leaf_input is not valid base64"),
    ]
    first = ok(f.c.get("/api/v1/log/proof/inclusion", params={"index": 0, "size": receipt["tree_size"]}))
    another_entry = {  # a genuine entry with a genuine proof, but a release, not this bid's commitment
        "log_index": 0,
        "leaf_input": other_entry["leaf_input"],
        "leaf_hash": other_entry["leaf_hash"],
        "inclusion_proof": first["proof"],
    }
    cases.append((another_entry, "entry: log entry 0 is not a sealed-bid entry"))
    for i, (change, reason) in enumerate(cases):
        with pytest.raises(ReceiptError, match=reason):
            verify_receipt({**receipt, **change}, other_key if i == 0 else key)
    with pytest.raises(ReceiptError, match="not a log verifier key"):
        verify_receipt(receipt, "not-a-key")

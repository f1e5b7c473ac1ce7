"""Sealed bids end to end: sealed on the supplier's side, committed in the log, opened only with k shares or the
platform's key after the deadline, each envelope checked against its commitment, the opening key published."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quartermaster.bids.models import Bid
from quartermaster.client import seal_prices
from quartermaster.db.tx import Database
from quartermaster.sealing import BidContext, open_bid, parse_sealed_bid
from quartermaster.sealing.encoding import b64url_decode
from quartermaster.sealing.prices import parse_price_payload
from quartermaster.types import FixedClock
from quartermaster.verify.openings import check_opening
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.world import World

BIG = "6000000.00"  # at or above the rulebook's platform_key_below: the committee's threshold key


SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday under rulebook 2026.1, which seals bids


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def draft(f: Flow, amount: str = "1000000.00", lots: int = 1) -> dict[str, Any]:
    body = tender_body("open", lots=lots)
    for lot in body["lots"]:
        lot["value"]["amount"] = amount
    return ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)  # type: ignore[no-any-return]


def tendering(f: Flow, tender_id: str) -> dict[str, Any]:
    pub = f.publish(tender_id)
    if pub["enquiry_end"]:
        f.advance_to(pub["enquiry_end"])
    return f.tender(tender_id, "buyer")


def seal(f: Flow, tender: dict[str, Any], supplier: str, prices: dict[int, str]) -> dict[str, Any]:
    key = ok(f.c.get(f"/api/v1/tenders/{tender['id']}/opening-key"))
    org = f.w[supplier].organization_id
    assert org is not None
    lots = {tender["lots"][i]["id"]: Decimal(p) for i, p in prices.items()}
    return seal_prices(key["public_key"], tender["id"], org, "UAH", lots).body()


def submit(f: Flow, tender: dict[str, Any], supplier: str, prices: dict[int, str]) -> dict[str, Any]:
    body = seal(f, tender, supplier, prices)
    return ok(f.c.post(f"/api/v1/tenders/{tender['id']}/bids", json=body, headers=f.h(supplier)), 201)  # type: ignore[no-any-return]


def close(f: Flow, tender: dict[str, Any]) -> None:
    f.advance_to(tender["tender_end"])
    assert f.tender(tender["id"])["status"] == "active.opening"


def test_platform_mode_takes_only_sealed_bids_and_opens_them_after_the_deadline(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))
    assert key["mode"] == "platform"
    assert key["released_private_key"] is None
    plain = {"values": [{"lot_id": t["lots"][0]["id"], "value": {"amount": "100.00", "currency": "UAH"}}]}
    refused = f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=plain, headers=f.h("supplier0"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "bid.must_be_sealed"

    body = seal(f, t, "supplier0", {0: "812345.67"})
    receipt = ok(f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=body, headers=f.h("supplier0")), 201)
    assert receipt["commitment"] == hashlib.sha256(body["sealed"]["envelope"].encode()).hexdigest()
    logged = ok(f.c.get(f"/api/v1/tenders/{t['id']}/events", headers=f.h("auditor")))
    submitted = [e for e in logged["data"] if e["command"] == "submit_bid"]
    assert submitted[0]["payload"] == {"commitment": receipt["commitment"], "lots": [t["lots"][0]["id"]]}
    early = f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator"))
    assert early.status_code == 409

    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    bids = ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))
    assert [b["values"][0]["value"]["amount"] for b in bids] == ["812345.67"]
    assert bids[0]["status"] == "valid"
    # Anyone can re-open the envelope with the published key and find the published prices.
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))
    private = b64url_decode(key["released_private_key"], "k")
    envelope = parse_sealed_bid(body["sealed"]["envelope"].encode())
    plaintext = open_bid(private, envelope, receipt["commitment"])
    assert parse_price_payload(plaintext)[1] == {t["lots"][0]["id"]: Decimal("812345.67")}
    # The opening record checks out against the log's sealed-bid entries, as `quartermaster verify` checks it.
    record = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening"))
    report = check_opening(record, logged_commitments(f))
    assert (report.opened, report.invalid) == (1, 0)


def logged_commitments(f: Flow) -> set[str]:
    """The commitments of the log's sealed-bid entries."""
    entries = ok(f.c.get("/api/v1/log/entries?start=0&end=1000"))["entries"]
    leaves = [json.loads(base64.b64decode(e["leaf_input"])) for e in entries]
    return {leaf["commitment"] for leaf in leaves if leaf["kind"] == "sealed-bid"}


def test_a_bid_sealed_for_another_supplier_or_tender_is_refused_on_receipt(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    theirs = seal(f, t, "supplier1", {0: "1000.00"})
    resp = f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=theirs, headers=f.h("supplier0"))
    assert resp.status_code == 422
    assert resp.json()["code"] == "bid.wrong_context"
    garbage = {"sealed": {"envelope": '{"not":"an envelope"}', "lots": [t["lots"][0]["id"]]}}
    resp = f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=garbage, headers=f.h("supplier0"))
    assert resp.status_code == 422
    assert resp.json()["code"] == "bid.bad_envelope"


def test_threshold_tender_needs_a_committee_and_k_released_shares(f: Flow) -> None:
    committee = Committee(f)
    d = draft(f, BIG)
    mins = f.minimum("open")
    periods = {k: mins[k] for k in ("enquiry_end", "tender_end") if mins[k]}
    refused = f.c.post(f"/api/v1/tenders/{d['id']}/publish", json=periods, headers=f.h("approver"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "tender.committee_required"

    committee.appoint(d["id"], threshold=2)
    t = tendering(f, d["id"])
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))
    assert (key["mode"], key["threshold"], key["shares"]) == ("threshold", 2, 3)
    r0 = submit(f, t, "supplier0", {0: "5500000.00"})
    submit(f, t, "supplier1", {0: "5400000.00"})
    early = committee.release(t["id"], "evaluator")
    assert early.status_code == 409
    assert early.json()["code"] == "opening.not_open_for_shares"

    close(f, t)
    ok(committee.release(t["id"], "evaluator"))
    again = committee.release(t["id"], "evaluator")
    assert again.json()["code"] == "opening.share_already_released"
    short = f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator"))
    assert short.status_code == 422
    assert short.json()["code"] == "opening.not_enough_shares"
    outsider = f.c.post(f"/api/v1/tenders/{t['id']}/opening-key/shares", json={"share": "{}"}, headers=f.h("approver"))
    assert outsider.status_code == 403

    ok(committee.release(t["id"], "approver2"))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    opened = {b["id"]: b["values"][0]["value"]["amount"] for b in ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))}
    assert opened[r0["bid_id"]] == "5500000.00"
    assert sorted(opened.values()) == ["5400000.00", "5500000.00"]
    assert ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["released_private_key"]


def test_committee_rules(f: Flow) -> None:
    committee = Committee(f)
    d = draft(f, BIG)
    body: dict[str, Any] = {
        "threshold": 1,
        "members": [{"user_id": f.w["evaluator"].actor.user_id, "role": "chair"}],
    }
    resp = f.c.put(f"/api/v1/tenders/{d['id']}/committee", json=body, headers=f.h("buyer"))
    assert resp.status_code == 422
    assert resp.json()["code"] == "committee.invalid"
    no_key = {
        "threshold": 2,
        "members": [
            {"user_id": f.w[w].actor.user_id, "role": "chair" if w == "buyer2" else "member"}
            for w in ("buyer2", "evaluator", "evaluator2")
        ],
    }
    resp = f.c.put(f"/api/v1/tenders/{d['id']}/committee", json=no_key, headers=f.h("buyer"))
    assert resp.status_code == 422
    assert "custody key" in json.dumps(resp.json())
    outsider = f.c.put(f"/api/v1/tenders/{d['id']}/committee", json=no_key, headers=f.h("other_buyer"))
    assert outsider.status_code in (403, 404)
    committee.appoint(d["id"])
    tendering(f, d["id"])
    late = f.c.put(f"/api/v1/tenders/{d['id']}/committee", json=no_key, headers=f.h("buyer"))
    assert late.json()["code"] == "committee.tender_published"


def _tamper(database: Database, bid_id: str, envelope: str) -> None:
    with database.unit_of_work() as s:
        s.execute(update(Bid).where(Bid.id == bid_id).values(envelope=envelope))


def test_altered_or_swapped_ciphertexts_are_detected_and_the_bids_invalidated(f: Flow, database: Database) -> None:
    t = tendering(f, draft(f)["id"])
    honest = submit(f, t, "supplier0", {0: "900000.00"})
    altered = submit(f, t, "supplier1", {0: "910000.00"})
    swapped = submit(f, t, "supplier2", {0: "920000.00"})
    with database.unit_of_work(write=False) as s:
        envelopes = {b.id: b.envelope for b in s.scalars(select(Bid).where(Bid.tender_id == t["id"]))}
    doc = json.loads(envelopes[altered["bid_id"]])
    ct = bytearray(b64url_decode(doc["ct"], "ct"))
    ct[0] ^= 1
    from quartermaster.sealing.encoding import b64url_encode

    doc["ct"] = b64url_encode(bytes(ct))
    _tamper(database, altered["bid_id"], json.dumps(doc, separators=(",", ":"), sort_keys=True))
    _tamper(database, swapped["bid_id"], envelopes[honest["bid_id"]])
    rewritten = submit(f, t, "supplier3", {0: "930000.00"})
    forged = seal(f, t, "supplier3", {0: "1.00"})["sealed"]["envelope"]
    with database.unit_of_work() as s:  # an insider rewrites the envelope and the row's commitment together
        s.execute(
            update(Bid)
            .where(Bid.id == rewritten["bid_id"])
            .values(envelope=forged, commitment=hashlib.sha256(forged.encode()).hexdigest())
        )
    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    bids = {b["id"]: b for b in ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))}
    assert bids[honest["bid_id"]]["status"] == "valid"
    assert bids[altered["bid_id"]]["status"] == "disqualified"
    assert "CommitmentMismatchError" in bids[altered["bid_id"]]["status_reason"]
    assert bids[swapped["bid_id"]]["status"] == "disqualified"
    assert "ContextMismatchError" in bids[swapped["bid_id"]]["status_reason"]
    assert bids[altered["bid_id"]]["values"] == []
    record = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening"))
    report = check_opening(record, logged_commitments(f))
    assert (report.opened, report.invalid) == (1, 3)
    assert bids[rewritten["bid_id"]]["status"] == "disqualified"
    assert "logged on receipt" in bids[rewritten["bid_id"]]["status_reason"]


def test_envelope_open_helpers_agree_with_the_context_the_platform_files(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    body = seal(f, t, "supplier3", {0: "1.00"})
    envelope = parse_sealed_bid(body["sealed"]["envelope"].encode())
    org = f.w["supplier3"].organization_id
    assert org is not None
    assert envelope.context == BidContext(t["id"], org, None)


def test_a_recused_member_releases_nothing_and_recusals_below_k_block_the_opening(f: Flow) -> None:
    committee = Committee(f)
    d = draft(f, BIG)
    committee.appoint(d["id"], threshold=2)
    t = tendering(f, d["id"])
    submit(f, t, "supplier0", {0: "5100000.00"})
    outsider = f.c.post(f"/api/v1/tenders/{t['id']}/committee/recusal", json={"reason": "n/a"}, headers=f.h("buyer2"))
    assert outsider.status_code == 403
    reason = {"reason": "my brother-in-law directs a bidder"}
    out = ok(f.c.post(f"/api/v1/tenders/{t['id']}/committee/recusal", json=reason, headers=f.h("approver2")))
    assert [m["recused_at"] is not None for m in out["members"]] == [False, False, True]
    again = f.c.post(f"/api/v1/tenders/{t['id']}/committee/recusal", json=reason, headers=f.h("approver2"))
    assert again.json()["code"] == "committee.already_recused"
    close(f, t)
    refused = committee.release(t["id"], "approver2")
    assert refused.json()["code"] == "opening.recused"
    ok(committee.release(t["id"], "evaluator"))
    released = f.c.post(f"/api/v1/tenders/{t['id']}/committee/recusal", json=reason, headers=f.h("evaluator"))
    assert released.json()["code"] == "committee.share_released"
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/committee/recusal", json=reason, headers=f.h("evaluator2")))
    blocked = f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator"))
    assert blocked.json()["code"] == "opening.not_enough_shares"


def test_an_amended_sealed_bid_opens_to_its_last_envelope(f: Flow) -> None:
    t = tendering(f, draft(f, lots=2)["id"])
    first = submit(f, t, "supplier0", {0: "700000.00"})
    body = seal(f, t, "supplier0", {0: "650000.00", 1: "640000.00"})
    amended = ok(f.c.post(f"/api/v1/bids/{first['bid_id']}/amend", json=body, headers=f.h("supplier0")))
    assert amended["commitment"] == hashlib.sha256(body["sealed"]["envelope"].encode()).hexdigest()
    assert amended["commitment"] != first["commitment"]
    assert amended["values"] == []  # nothing to show until the opening, not even to the bidder
    plain = {"values": [{"lot_id": t["lots"][0]["id"], "value": {"amount": "1.00", "currency": "UAH"}}]}
    refused = f.c.post(f"/api/v1/bids/{first['bid_id']}/amend", json=plain, headers=f.h("supplier0"))
    assert refused.json()["code"] == "bid.must_be_sealed"
    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    (bid,) = ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))
    assert {v["value"]["amount"] for v in bid["values"]} == {"650000.00", "640000.00"}

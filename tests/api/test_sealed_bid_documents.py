"""Sealed bid documents: sealed on the supplier's side with their title, logged by SHA-256 on receipt, unreadable in
the database, the blob store and every API answer before opening, opened with the bids into the next version, and an
altered or swapped one invalidates its bid with the reason."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from test_sealed_bids import SEALING_ERA, close, draft, submit, tendering
from test_sealed_bids_canary import api_texts, dump, threshold_tender

from quartermaster.client import ReceiptError, seal_file, verify_receipt
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.documents.models import Document
from quartermaster.scheduler import integrate_log
from quartermaster.sealing.documents import MEDIA_TYPE
from quartermaster.types import FixedClock
from quartermaster.verify.errors import VerifyError
from quartermaster.verify.openings import OpeningReport, check_opening
from support.committee import Committee
from support.flows import Flow, ok
from support.world import World

CANARY = b"Canary technical offer 4471-XQ: 100,000 rounds of 5.56 mm in 30 days"
TITLE = "Технічна пропозиція (canary-title-9931).pdf"


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def sealed_file(
    f: Flow, tender_id: str, bid_id: str, supplier: str, content: bytes = CANARY, title: str = TITLE
) -> Any:
    key = ok(f.c.get(f"/api/v1/tenders/{tender_id}/opening-key"))
    org = f.w[supplier].organization_id
    assert org is not None
    return seal_file(
        key["public_key"], tender_id, org, bid_id, title=title, content_type="application/pdf", content=content
    )


def upload(
    f: Flow, bid_id: str, supplier: str, data: bytes, content_type: str = MEDIA_TYPE, **params: str
) -> httpx.Response:
    return f.c.post(
        f"/api/v1/bids/{bid_id}/documents",
        content=data,
        params={"document_type": "submissionDocuments", **params},
        headers={**f.h(supplier), "Content-Type": content_type},
    )


def attach(f: Flow, tender_id: str, bid_id: str, supplier: str = "supplier0", **kw: Any) -> dict[str, Any]:
    sealed = sealed_file(f, tender_id, bid_id, supplier, **kw)
    doc = ok(upload(f, bid_id, supplier, sealed.data), 201)
    assert doc["sha256"] == sealed.commitment
    return doc  # type: ignore[no-any-return]


def logged(f: Flow, kind: str) -> set[str]:
    entries = ok(f.c.get("/api/v1/log/entries?start=0&end=1000"))["entries"]
    leaves = [json.loads(base64.b64decode(e["leaf_input"])) for e in entries]
    return {leaf["commitment"] for leaf in leaves if leaf["kind"] == kind}


def verify_opening(f: Flow, tender_id: str, record: dict[str, Any] | None = None) -> OpeningReport:
    """What `quartermaster verify --opening` checks, against this server's log and its public document URLs."""

    def fetch(url: str) -> bytes | None:
        resp = f.c.get(url)
        return resp.content if resp.status_code == 200 else None

    record = record or ok(f.c.get(f"/api/v1/tenders/{tender_id}/opening"))
    return check_opening(record, logged(f, "sealed-bid"), logged_documents=logged(f, "sealed-document"), fetch=fetch)


def blob_texts(settings: Settings) -> bytes:
    """Every stored blob's bytes (the sealed documents among them)."""
    data = b"".join(p.read_bytes() for p in settings.resolved_blob_dir().rglob("*") if p.is_file())
    assert b"quartermaster.sealed-document" in data
    return data


def test_a_sealed_tender_takes_only_sealed_documents_for_the_right_bid(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    mine = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    theirs = submit(f, t, "supplier1", {0: "950000.00"})["bid_id"]
    plain = upload(f, mine, "supplier0", CANARY, "application/pdf", title="Offer")
    assert (plain.status_code, plain.json()["code"]) == (422, "document.must_be_sealed")
    sealed = sealed_file(f, t["id"], mine, "supplier0")
    titled = upload(f, mine, "supplier0", sealed.data, title="Offer")  # a title in the clear would leak it
    assert (titled.status_code, titled.json()["code"]) == (422, "document.invalid")
    for_other_bid = sealed_file(f, t["id"], theirs, "supplier0")
    wrong = upload(f, mine, "supplier0", for_other_bid.data)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "document.wrong_context")
    garbage = upload(f, mine, "supplier0", b"not a sealed document")
    assert (garbage.status_code, garbage.json()["code"]) == (422, "document.bad_envelope")
    truncated = upload(f, mine, "supplier0", sealed.data[: sealed.data.index(b"\n") + 5])
    assert (truncated.status_code, truncated.json()["code"]) == (422, "document.bad_envelope")
    on_tender = f.c.post(
        f"/api/v1/tenders/{t['id']}/documents",
        content=sealed.data,
        params={"document_type": "biddingDocuments"},
        headers={**f.h("buyer"), "Content-Type": MEDIA_TYPE},
    )
    assert (on_tender.status_code, on_tender.json()["code"]) == (422, "document.not_sealed")
    listed = ok(f.c.get(f"/api/v1/bids/{mine}/documents", headers=f.h("supplier0")))
    assert listed["data"] == []  # nothing refused was recorded


def test_a_sealed_document_is_logged_unreadable_until_opening_then_opens_as_the_next_version(
    f: Flow, database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    t = tendering(f, draft(f)["id"])
    bid = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    submit(f, t, "supplier1", {0: "950000.00"})
    doc = attach(f, t["id"], bid)
    assert (doc["title"], doc["content_type"], doc["version"]) == ("", MEDIA_TYPE, 1)
    assert doc["sha256"] in logged(f, "sealed-document")
    events = ok(f.c.get(f"/api/v1/tenders/{t['id']}/events", headers=f.h("auditor")))["data"]
    uploaded = next(e for e in events if e["event_type"] == "DocumentUploaded")
    assert uploaded["payload"]["sealed"] is True
    assert "title" not in uploaded["payload"]

    own = f.c.get(doc["url"], headers=f.h("supplier0"))
    assert own.status_code == 200
    assert own.content.startswith(b'{"aead":2,"bid":')
    for secret in (CANARY[:30], b"canary-title-9931", "canary-title-9931".encode("unicode_escape")):
        assert secret not in blob_texts(settings), "the blob store holds the sealed document in the clear"
        assert secret.decode() not in dump(database), "a database dump holds the sealed document"
        assert secret.decode() not in caplog.text, "a server log holds the sealed document"
        leaks = [(who, route) for who, route, text in api_texts(f, t["id"], bid) if secret.decode() in text]
        assert leaks == [], leaks

    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("buyer")))["data"]
    assert [(d["document_key"], d["version"], d["title"], d["content_type"]) for d in docs] == [
        (doc["document_key"], 2, TITLE, "application/pdf")
    ]
    assert f.c.get(docs[0]["url"], headers=f.h("buyer")).content == CANARY
    history = ok(f.c.get(f"/api/v1/bids/{bid}/documents?all_versions=true", headers=f.h("auditor")))["data"]
    assert sorted(d["version"] for d in history) == [1, 2]
    events = ok(f.c.get(f"/api/v1/tenders/{t['id']}/events", headers=f.h("auditor")))["data"]
    opened = next(e for e in events if e["event_type"] == "DocumentOpened")
    assert opened["payload"]["sealed_sha256"] == doc["sha256"]
    assert opened["payload"]["sha256"] == docs[0]["sha256"]
    assert ok(f.c.get(f"/api/v1/bids/{bid}"))["status"] == "valid"
    report = verify_opening(f, t["id"])
    assert (report.opened, report.documents, report.unreadable) == (2, 1, 0)
    record = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening"))
    mine = next(b for b in record["bids"] if b["bid_id"] == bid)
    assert mine["documents"][0]["opened_sha256"] == docs[0]["sha256"]
    mine["documents"][0]["opened_sha256"] = "0" * 64  # a platform that published another file as the opened one
    with pytest.raises(VerifyError, match="opens to another file than the one published"):
        verify_opening(f, t["id"], record)
    mine["documents"][0]["sha256"] = "1" * 64  # or a document never logged
    with pytest.raises(VerifyError, match="is not a sealed-document entry of the log"):
        verify_opening(f, t["id"], record)


def test_only_the_latest_version_opens_and_earlier_ones_stay_sealed(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    bid = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    first = attach(f, t["id"], bid, content=b"first draft", title="Draft")
    sealed = sealed_file(f, t["id"], bid, "supplier0", content=b"final offer", title="Final")
    ok(upload(f, bid, "supplier0", sealed.data, document_key=first["document_key"]), 201)
    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents?all_versions=true", headers=f.h("buyer")))["data"]
    assert sorted((d["version"], d["title"]) for d in docs) == [(1, ""), (2, ""), (3, "Final")]


def test_a_swapped_or_altered_sealed_document_invalidates_its_bid_with_the_reason(
    f: Flow, database: Database, settings: Settings
) -> None:
    t = tendering(f, draft(f)["id"])
    swapped = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    altered = submit(f, t, "supplier1", {0: "950000.00"})["bid_id"]
    honest = submit(f, t, "supplier2", {0: "990000.00"})["bid_id"]
    attach(f, t["id"], swapped, "supplier0")
    other = attach(f, t["id"], swapped, "supplier0", content=b"another document of the same bid")
    victim = attach(f, t["id"], altered, "supplier1")
    attach(f, t["id"], honest, "supplier2")
    with database.unit_of_work() as s:  # an insider points a row at other stored bytes ...
        s.execute(
            update(Document)
            .where(Document.related_id == swapped, Document.id != other["id"])
            .values(sha256=other["sha256"])
        )
    blob = next(p for p in settings.resolved_blob_dir().rglob(victim["sha256"]))  # ... and rewrites a stored blob
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))

    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    bids = {b["id"]: b for b in ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))}
    assert bids[honest]["status"] == "valid"
    assert bids[swapped]["status"] == "disqualified"
    assert "differs from the one logged on receipt" in bids[swapped]["status_reason"]
    assert bids[altered]["status"] == "disqualified"
    assert "missing or altered" in bids[altered]["status_reason"]
    record = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening"))
    assert {b["bid_id"] for b in record["bids"] if b["status"] != "valid"} == {swapped, altered}
    report = verify_opening(f, t["id"], record)
    assert (report.opened, report.invalid, report.documents) == (1, 2, 1)
    # Declaring the honest bid invalid is caught: its prices and its document both open.
    honest_bid = next(b for b in record["bids"] if b["bid_id"] == honest)
    honest_bid.update(status="disqualified", values=[])
    with pytest.raises(VerifyError, match="declared invalid, but its envelope opens to valid prices and every"):
        verify_opening(f, t["id"], record)


def test_committee_opening_opens_sealed_documents_too(f: Flow) -> None:
    committee = Committee(f)
    t = threshold_tender(f, committee, threshold=2)
    bid = submit(f, t, "supplier0", {0: "7000000.00"})["bid_id"]
    attach(f, t["id"], bid)
    f.advance_to(t["tender_end"])
    for member in ("evaluator", "evaluator2"):
        ok(committee.release(t["id"], member))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("auditor")))["data"]
    assert [d["title"] for d in docs] == [TITLE]


def test_a_sealed_media_type_the_store_would_refuse_opens_as_plain_bytes(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    bid = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["public_key"]
    org = f.w["supplier0"].organization_id
    assert org is not None
    sealed = seal_file(key, t["id"], org, bid, title="Odd", content_type="not a media type", content=b"x")
    ok(upload(f, bid, "supplier0", sealed.data), 201)
    close(f, t)
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("buyer")))["data"]
    assert [(d["title"], d["content_type"]) for d in docs] == [("Odd", "application/octet-stream")]


def test_a_sealed_document_has_a_receipt_that_proves_its_hash_in_the_signed_log(f: Flow) -> None:
    t = tendering(f, draft(f)["id"])
    bid = submit(f, t, "supplier0", {0: "900000.00"})["bid_id"]
    doc = attach(f, t["id"], bid)
    early = f.c.get(f"/api/v1/documents/{doc['id']}/receipt", headers=f.h("supplier0"))
    assert (early.status_code, early.json()["code"]) == (409, "receipt.not_yet_logged")
    integrate_log(f.db, f.clock, f.c.app.state.qm.publication.log)  # type: ignore[attr-defined]
    receipt = ok(f.c.get(f"/api/v1/documents/{doc['id']}/receipt", headers=f.h("supplier0")))
    assert (receipt["kind"], receipt["document_id"], receipt["bid_id"]) == ("sealed-document", doc["id"], bid)
    key = ok(f.c.get("/api/v1/log/key"))["verifier_key"]
    checked = verify_receipt(receipt, key, commitment=doc["sha256"])
    assert checked.lines()[-1] == f"entry: a sealed-document leaf carrying commitment {doc['sha256']}"
    assert ok(f.c.get(f"/api/v1/documents/{doc['id']}/receipt", headers=f.h("auditor")))["commitment"] == doc["sha256"]
    for other in ("supplier1", "buyer", None):
        refused = f.c.get(f"/api/v1/documents/{doc['id']}/receipt", headers=f.h(other) if other else {})
        assert refused.status_code == 404
    relabelled = receipt | {"kind": "sealed-bid"}
    with pytest.raises(ReceiptError, match="is not a sealed-bid entry"):
        verify_receipt(relabelled, key)
    with pytest.raises(ReceiptError, match="of kind 'decision'"):
        verify_receipt(receipt | {"kind": "decision"}, key)

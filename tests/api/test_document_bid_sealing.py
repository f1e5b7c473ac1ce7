"""Bid documents stay sealed like bid prices: only the bidder reads them before opening; none after the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.world import World

OFFER = b"Technical offer of Supplier 0: 100,000 rounds, delivery in 30 days"


def upload_bid_document(
    client: TestClient, who: str, world: World, bid_id: str, data: bytes = OFFER, **params: str
) -> httpx.Response:
    """The supplier attaches a document to a bid."""
    return client.post(
        f"/api/v1/bids/{bid_id}/documents",
        content=data,
        params={"title": "Technical offer", "document_type": "submissionDocuments", **params},
        headers={**world[who].headers, "Content-Type": "application/pdf"},
    )


@pytest.fixture
def sealed(client: TestClient, world: World, clock: FixedClock, database: Database) -> tuple[Flow, str, dict]:
    """A tender in tendering with supplier0's bid carrying one document."""
    f = Flow(client, world, clock, database)
    tid = f.to_tendering()
    bid = f.bid(tid, "supplier0", "900000.00")
    f.bid(tid, "supplier1", "950000.00")
    doc = ok(upload_bid_document(client, "supplier0", world, bid["bid_id"]), 201)
    return f, tid, doc


def reads(client: TestClient, world: World, who: str | None, doc: dict) -> list[int]:
    h = world[who].headers if who else {}
    return [
        client.get(url, headers=h).status_code
        for url in (f"/api/v1/bids/{doc['related_id']}/documents", f"/api/v1/documents/{doc['id']}", doc["url"])
    ]


@pytest.mark.parametrize("who", [None, "supplier1", "buyer", "approver", "evaluator", "auditor", "admin"])
def test_nobody_but_the_bidder_reads_a_bid_document_before_opening(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict], who: str | None
) -> None:
    _, _, doc = sealed
    assert reads(client, world, who, doc) == [404, 404, 404]


def test_the_bidder_reads_its_own_document_before_opening(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict]
) -> None:
    _, _, doc = sealed
    assert reads(client, world, "supplier0", doc) == [200, 200, 200]
    assert client.get(doc["url"], headers=world["supplier0"].headers).content == OFFER


@pytest.mark.parametrize("who", [None, "supplier1", "buyer", "auditor"])
def test_everyone_reads_a_bid_document_once_bids_are_opened(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict], who: str | None
) -> None:
    f, tid, doc = sealed
    f.open(tid)
    assert reads(client, world, who, doc) == [200, 200, 200]
    assert client.get(doc["url"], headers=world[who].headers if who else {}).content == OFFER


def test_a_confidential_bid_document_stays_with_the_buyer_and_auditors_after_opening(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict]
) -> None:
    f, tid, doc = sealed
    secret = ok(
        upload_bid_document(
            client,
            "supplier0",
            world,
            doc["related_id"],
            b"cost breakdown",
            title="Cost breakdown",
            confidential="true",
        ),
        201,
    )
    f.open(tid)
    listed = {d["id"] for d in ok(client.get(f"/api/v1/bids/{doc['related_id']}/documents"))["data"]}
    assert listed == {doc["id"]}
    assert client.get(secret["url"], headers=world["supplier1"].headers).status_code == 404
    for who in ("buyer", "auditor", "supplier0"):
        assert client.get(secret["url"], headers=world[who].headers).content == b"cost breakdown"


def test_another_supplier_cannot_add_documents_to_a_bid(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict]
) -> None:
    _, _, doc = sealed
    assert upload_bid_document(client, "supplier1", world, doc["related_id"]).status_code == 404


def test_a_bid_document_one_millisecond_after_the_deadline_is_refused(
    client: TestClient, world: World, clock: FixedClock, sealed: tuple[Flow, str, dict]
) -> None:
    f, tid, doc = sealed
    deadline = datetime.fromisoformat(f.tender(tid)["tender_end"])
    clock.set(deadline - timedelta(milliseconds=1))
    ok(upload_bid_document(client, "supplier0", world, doc["related_id"], b"v2", document_key=doc["document_key"]), 201)
    clock.set(deadline + timedelta(milliseconds=1))
    resp = upload_bid_document(client, "supplier0", world, doc["related_id"], b"v3", document_key=doc["document_key"])
    assert resp.status_code == 422
    assert resp.json()["code"] == "bid.deadline_passed"
    history = ok(
        client.get(
            f"/api/v1/bids/{doc['related_id']}/documents",
            params={"all_versions": "true"},
            headers=world["supplier0"].headers,
        )
    )["data"]
    assert sorted(d["version"] for d in history) == [1, 2]


def test_the_upload_event_does_not_reveal_a_bid_documents_title(
    client: TestClient, world: World, sealed: tuple[Flow, str, dict]
) -> None:
    _, tid, doc = sealed
    events = ok(client.get(f"/api/v1/tenders/{tid}/events", headers=world["auditor"].headers))["data"]
    payload = next(e["payload"] for e in events if e["object_id"] == doc["id"])
    assert "title" not in payload
    assert payload["sha256"] == doc["sha256"]

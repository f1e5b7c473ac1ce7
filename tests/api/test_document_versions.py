"""Documents through HTTP: streamed uploads, versions and history, verified content, visibility, integrity."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.config import Settings
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.documents.blobstore import LocalDiskBlobStore
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.world import World

SPEC = b"%PDF-1.7 technical specification: 5.56 mm, NATO STANAG 4172\n"


def upload(
    client: TestClient,
    headers: dict[str, str],
    path: str,
    data: bytes,
    *,
    title: str = "Technical specification",
    document_type: str = "technicalSpecifications",
    content_type: str = "application/pdf",
    **params: Any,
) -> httpx.Response:
    """POST raw bytes to ``/api/v1/<path>/documents``."""
    return client.post(
        f"/api/v1/{path}/documents",
        content=data,
        params={"title": title, "document_type": document_type, **params},
        headers={**headers, "Content-Type": content_type},
    )


def test_a_new_version_supersedes_the_old_one_which_stays_readable_as_history(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    h = world["buyer"].headers
    resp = upload(client, h, f"tenders/{tid}", SPEC)
    v1 = ok(resp, 201)
    assert resp.headers["Location"] == f"/api/v1/documents/{v1['id']}"
    assert (v1["version"], v1["related_type"], v1["related_id"], v1["process_id"]) == (1, "tender", tid, tid)
    assert (v1["sha256"], v1["size"]) == (hashlib.sha256(SPEC).hexdigest(), len(SPEC))
    assert (v1["content_type"], v1["document_type"]) == ("application/pdf", "technicalSpecifications")

    v2 = ok(
        upload(
            client,
            h,
            f"tenders/{tid}",
            SPEC + b"rev B\n",
            title="Technical specification, rev B",
            document_key=v1["document_key"],
        ),
        201,
    )
    assert (v2["document_key"], v2["version"]) == (v1["document_key"], 2)
    notice = ok(
        upload(
            client,
            world["approver"].headers,
            f"tenders/{tid}",
            b"notice",
            title="Notice",
            document_type="tenderNotice",
            content_type="text/plain",
        ),
        201,
    )

    latest = ok(client.get(f"/api/v1/tenders/{tid}/documents", headers=h))
    assert latest["next"] is None
    assert {(d["id"], d["version"]) for d in latest["data"]} == {(v2["id"], 2), (notice["id"], 1)}
    history = ok(client.get(f"/api/v1/tenders/{tid}/documents", params={"all_versions": "true"}, headers=h))
    assert {d["id"] for d in history["data"]} == {v1["id"], v2["id"], notice["id"]}

    old = client.get(f"/api/v1/documents/{v1['id']}/content", headers=h)
    assert old.status_code == 200
    assert old.content == SPEC


def test_content_round_trips_and_matches_its_sha256(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    data = bytes(range(256)) * (12 * 1024)  # 3 MiB: above the 2 MiB JSON body limit, below the upload limit
    title = "Технічні вимоги до бронежилетів"
    doc = ok(
        upload(
            client, world["buyer"].headers, f"tenders/{tid}", data, title=title, content_type="application/octet-stream"
        ),
        201,
    )
    assert doc["title"] == title
    assert ok(client.get(f"/api/v1/documents/{doc['id']}", headers=world["buyer"].headers)) == doc

    resp = client.get(doc["url"], headers=world["buyer"].headers)
    assert resp.status_code == 200
    assert resp.content == data
    assert hashlib.sha256(resp.content).hexdigest() == doc["sha256"]
    assert resp.headers["ETag"] == f'"{doc["sha256"]}"'
    assert resp.headers["Content-Length"] == str(len(data))
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"] == "attachment"


def test_documents_of_a_draft_tender_are_hidden_until_it_is_published(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.create()["id"]
    doc = ok(upload(client, world["buyer"].headers, f"tenders/{tid}", SPEC), 201)
    for who in (None, "supplier0", "other_buyer"):
        h = world[who].headers if who else {}
        for url in (f"/api/v1/tenders/{tid}/documents", f"/api/v1/documents/{doc['id']}", doc["url"]):
            resp = client.get(url, headers=h)
            assert resp.status_code == 404, (who, url)
            assert resp.headers["Content-Type"] == "application/problem+json"
    assert client.get(doc["url"], headers=world["auditor"].headers).content == SPEC

    f.publish(tid)
    assert client.get(doc["url"]).content == SPEC


def test_tender_documents_freeze_when_the_tender_period_ends(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.to_tendering()
    ok(
        upload(
            client,
            world["buyer"].headers,
            f"tenders/{tid}",
            b"answers",
            title="Clarifications",
            document_type="clarifications",
            content_type="text/plain",
        ),
        201,
    )
    f.advance_to(f.tender(tid)["tender_end"])
    resp = upload(client, world["buyer"].headers, f"tenders/{tid}", b"late change")
    assert resp.status_code == 422
    assert resp.json()["code"] == "document.frozen"


def test_suppliers_may_not_add_tender_documents(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).to_tendering()
    resp = upload(client, world["supplier0"].headers, f"tenders/{tid}", b"not mine to add")
    assert resp.status_code == 403
    assert resp.json()["code"] == "document.upload_forbidden"
    assert ok(client.get(f"/api/v1/tenders/{tid}/documents"))["data"] == []


def test_bad_metadata_is_refused_before_anything_is_stored(
    client: TestClient, world: World, clock: FixedClock, database: Database, settings: Settings
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    h = world["buyer"].headers
    resp = upload(client, h, f"tenders/{tid}", SPEC, document_type="memo", content_type="not a media type")
    assert resp.status_code == 422
    assert sorted(e["field"] for e in resp.json()["errors"]) == ["content_type", "document_type"]
    unknown_key = upload(client, h, f"tenders/{tid}", SPEC, document_key="0" * 32)
    assert unknown_key.status_code == 404
    assert not LocalDiskBlobStore(settings.resolved_blob_dir()).exists(hashlib.sha256(SPEC).hexdigest())


def test_a_tampered_blob_is_withheld_with_an_integrity_error(
    client: TestClient, world: World, clock: FixedClock, database: Database, settings: Settings
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    doc = ok(upload(client, world["buyer"].headers, f"tenders/{tid}", SPEC), 201)
    path = LocalDiskBlobStore(settings.resolved_blob_dir()).path_of(doc["sha256"])
    path.chmod(0o644)
    path.write_bytes(SPEC.replace(b"5.56", b"7.62"))

    resp = client.get(doc["url"], headers=world["buyer"].headers)
    assert resp.status_code == 409
    assert resp.headers["Content-Type"] == "application/problem+json"
    problem = resp.json()
    assert (problem["code"], problem["document_id"], problem["sha256"]) == (
        "document.integrity",
        doc["id"],
        doc["sha256"],
    )
    assert ok(client.get(f"/api/v1/documents/{doc['id']}", headers=world["buyer"].headers))["id"] == doc["id"]

    path.unlink()
    missing = client.get(doc["url"], headers=world["buyer"].headers)
    assert (missing.status_code, missing.json()["code"]) == (409, "document.integrity")


def test_a_retried_upload_with_the_same_key_stores_one_document(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    h = {**world["buyer"].headers, "Idempotency-Key": "spec-upload-1"}
    first = upload(client, h, f"tenders/{tid}", SPEC)
    second = upload(client, h, f"tenders/{tid}", SPEC)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    other = upload(client, h, f"tenders/{tid}", SPEC + b"changed")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.mismatch")
    listed = ok(client.get(f"/api/v1/tenders/{tid}/documents", params={"all_versions": True}, headers=h))
    assert [d["id"] for d in listed["data"]] == [first.json()["id"]]


def test_uploads_are_recorded_as_events(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    doc = ok(upload(client, world["buyer"].headers, f"tenders/{tid}", SPEC), 201)
    events = ok(client.get(f"/api/v1/tenders/{tid}/events", headers=world["auditor"].headers))["data"]
    uploaded = [e for e in events if e["command"] == "upload_document"]
    assert len(uploaded) == 1
    assert uploaded[0]["object_id"] == doc["id"]
    assert uploaded[0]["payload"]["sha256"] == doc["sha256"]


def test_plan_documents_follow_the_plans_visibility(client: TestClient, world: World) -> None:
    body = {
        "title": "Armour 2026",
        "year": 2026,
        "budget_line": "KPKVK 2101020",
        "procedure": "open",
        "category": "goods",
        "value": {"amount": "1000.00", "currency": "UAH"},
        "items": [{"description": "Plates", "cpv": "18143000-3", "unit": "H87", "quantity": "10"}],
    }
    plan = ok(client.post("/api/v1/plans", json=body, headers=world["buyer"].headers), 201)
    doc = ok(
        upload(
            client,
            world["buyer"].headers,
            f"plans/{plan['id']}",
            b"needs",
            title="Needs assessment",
            document_type="needsAssessment",
            content_type="text/plain",
        ),
        201,
    )
    assert doc["process_id"] == plan["id"]
    assert client.get(f"/api/v1/documents/{doc['id']}").status_code == 404
    ok(client.post(f"/api/v1/plans/{plan['id']}/publish", headers=world["approver"].headers))
    assert client.get(doc["url"]).content == b"needs"


@pytest.mark.parametrize(("who", "status"), [("supplier1", 201), ("buyer", 201), ("supplier2", 403)])
def test_either_contract_party_and_nobody_else_adds_contract_documents(
    client: TestClient, world: World, clock: FixedClock, database: Database, who: str, status: int
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.to_tendering()
    f.bid(tid, "supplier1", "850000.00")
    f.open(tid)
    f.evaluate_all(tid)
    award = f.award_best(tid)[0]
    with database.unit_of_work(write=False) as s:
        contract_id = s.scalars(select(Contract.id).where(Contract.award_id == award["id"])).one()
    resp = upload(
        client,
        world[who].headers,
        f"contracts/{contract_id}",
        b"signed",
        title="Signed contract",
        document_type="contractSigned",
    )
    assert resp.status_code == status, resp.text
    if status == 201:
        assert resp.json()["process_id"] == tid
    report = upload(
        client,
        world["evaluator"].headers,
        f"awards/{award['id']}",
        b"report",
        title="Evaluation report",
        document_type="evaluationReports",
    )
    assert report.status_code == 201

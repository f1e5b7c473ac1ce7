"""Independent scoring, then consolidation: members assess opened bids unseen by each other; the chair consolidates
once a quorum has assessed every bid (majority compliance, median quality); the log reveals the scores only then."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from quartermaster.client.decisions import sign_decision
from quartermaster.db.tx import Database
from quartermaster.errors import ServiceUnavailable
from quartermaster.reports import evaluation
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def opened(f: Flow, committee: Committee) -> tuple[str, str, list[str]]:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "8000000.00"
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(d["id"])
    f.advance_to(f.publish(d["id"])["enquiry_end"])
    t = f.tender(d["id"], "buyer")
    lot = t["lots"][0]["id"]
    bids = []
    for i, price in enumerate(("7100000.00", "7200000.00", "7300000.00")):
        values = {"values": [{"lot_id": lot, "value": {"amount": price, "currency": "UAH"}}]}
        supplier = f"supplier{i}"
        r = ok(
            f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=f.seal(t["id"], supplier, values), headers=f.h(supplier)),
            201,
        )
        bids.append(r["bid_id"])
    f.advance_to(t["tender_end"])
    early = assess(f, t["id"], lot, "evaluator", [(bids[0], True, "50")])
    assert early.json()["code"] == "committee.not_assessing"
    for member in ("evaluator", "evaluator2"):
        ok(committee.release(t["id"], member))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    return t["id"], lot, bids


def assess(f: Flow, tid: str, lot: str, who: str, scores: list[tuple[str, bool, str | None]]) -> Any:
    body = {"scores": [{"bid_id": b, "compliant": c, "quality": q} for b, c, q in scores]}
    return f.c.post(f"/api/v1/tenders/{tid}/lots/{lot}/assessments", json=body, headers=f.h(who))


def test_members_assess_independently_and_the_chair_consolidates_with_a_quorum(f: Flow) -> None:
    committee = Committee(f)
    tid, lot, (b0, b1, b2) = opened(f, committee)
    url = f"/api/v1/tenders/{tid}/lots/{lot}"
    committee.declare(tid, "approver2")

    mine = ok(assess(f, tid, lot, "evaluator", [(b0, True, "80"), (b1, True, "60"), (b2, False, "90")]))
    assert len(mine["scores"]) == 3
    assert mine["consolidation"] is None
    unseen = ok(f.c.get(f"{url}/assessments", headers=f.h("evaluator2")))
    assert unseen["scores"] == []  # another member's assessments stay unseen
    again = assess(f, tid, lot, "evaluator", [(b0, False, "10")])
    assert "already assessed" in again.text
    out_of_range = assess(f, tid, lot, "evaluator2", [(b0, True, "101")])
    assert out_of_range.status_code == 422
    not_opened = assess(f, tid, lot, "evaluator2", [("nope", True, None)])
    assert "not an opened bid" in not_opened.text
    outsider = assess(f, tid, lot, "buyer2", [(b0, True, None)])
    assert outsider.status_code == 403

    not_chair = f.c.post(f"{url}/consolidation", headers=f.h("evaluator2"))
    assert not_chair.json()["code"] == "committee.chair_only"
    short = f.c.post(f"{url}/consolidation", headers=f.h("evaluator"))
    assert short.json()["code"] == "committee.no_quorum"

    ok(assess(f, tid, lot, "evaluator2", [(b0, True, "70"), (b1, False, "40"), (b2, False, "20")]))
    ok(assess(f, tid, lot, "approver2", [(b0, True, "75")]))  # incomplete: not counted
    result = ok(f.c.post(f"{url}/consolidation", headers=f.h("evaluator")))
    by_bid = {r["bid_id"]: r for r in result["results"]}
    assert by_bid[b0] == {
        "bid_id": b0,
        "compliant": True,
        "votes_compliant": 2,
        "votes": 2,
        "quality": "75.00",
        "delivery_days": None,  # nobody recorded one: the award method does not weigh it
        "life_cycle_cost": None,
    }
    assert by_bid[b1]["compliant"] is False  # one of two: no strict majority
    assert Decimal(by_bid[b2]["quality"]) == Decimal("55.00")
    late = assess(f, tid, lot, "approver2", [(b1, True, "50")])
    assert late.json()["code"] == "committee.consolidated"

    seen = ok(f.c.get(f"{url}/assessments", headers=f.h("buyer")))
    assert len(seen["scores"]) == 7
    assert seen["consolidation"]["results"] == result["results"]
    events = ok(f.c.get(f"/api/v1/tenders/{tid}/events", headers=f.h("auditor")))["data"]
    submitted = [e for e in events if e["event_type"] == "ScoresSubmitted"]
    assert all(set(e["payload"]) == {"lot_id", "assessed", "scores_digest"} for e in submitted)
    (consolidated,) = [e for e in events if e["event_type"] == "ScoresConsolidated"]
    assert len(consolidated["payload"]["scores"]) == 6  # the two complete members' scores, revealed


def test_the_evaluation_report_is_generated_from_the_record_in_both_languages(f: Flow, tmp_path: Any) -> None:
    committee = Committee(f)
    tid, lot, (b0, b1, b2) = opened(f, committee)
    for member in ("evaluator", "evaluator2"):
        ok(assess(f, tid, lot, member, [(b0, True, "80"), (b1, True, "60"), (b2, False, "90")]))
    ok(f.c.post(f"/api/v1/tenders/{tid}/lots/{lot}/consolidation", headers=f.h("evaluator")))
    url = f"/api/v1/tenders/{tid}/evaluation-report"

    record = ok(f.c.get(url, params={"format": "json"}, headers=f.h("auditor")))
    assert record["committee"]["threshold"] == 2
    assert [b["status"] for b in record["opening"]["bids"]] == ["valid", "valid", "valid"]
    results = {r["supplier"]: r["votes"] for r in record["assessments"][0]["results"]}
    assert results == {"Supplier 0": "2/2", "Supplier 1": "2/2", "Supplier 2": "0/2"}  # b2 judged non-compliant
    again = ok(f.c.get(url, params={"format": "json"}, headers=f.h("buyer")))
    assert again["digest"] == record["digest"]  # the same record, the same digest

    html_uk = f.c.get(url, headers=f.h("buyer"))
    assert html_uk.status_code == 200
    assert "Звіт про оцінку" in html_uk.text
    assert record["digest"] in html_uk.text
    assert "7 100 000.00 UAH" in html_uk.text
    html_en = f.c.get(url, params={"lang": "en"}, headers=f.h("buyer"))
    assert "Evaluation report" in html_en.text
    assert "Consolidated assessments" in html_en.text
    assert "Delivery, days (median)" in html_en.text
    assert "Life-cycle cost (median)" in html_en.text
    assert {r["delivery_days"] for r in record["assessments"][0]["results"]} == {None}  # nobody recorded one

    pdf = f.c.get(url, params={"format": "pdf", "lang": "uk"}, headers=f.h("buyer"))
    try:
        evaluation.font_path()
    except ServiceUnavailable:  # a machine without fonts-dejavu-core (.ci/run installs it): the PDF says why
        assert pdf.status_code == 503
        assert pdf.json()["code"] == "report.no_font"
    else:
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        text = "".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages)
        assert "Звіт про оцінку" in text  # the PDF's text is the report's, Ukrainian included
        assert record["digest"] in text.replace("\n", "")

    assert f.c.get(url, headers=f.h("supplier0")).status_code == 403
    assert f.c.get(url, headers=f.h("other_buyer")).status_code in (403, 404)


def test_committee_members_sign_the_report_they_read(f: Flow) -> None:
    committee = Committee(f)
    tid, lot, bids = opened(f, committee)
    url = f"/api/v1/tenders/{tid}/evaluation-report"
    digest = ok(f.c.get(url, params={"format": "json"}, headers=f.h("evaluator")))["digest"]

    def signed_body(who: str, digest: str) -> dict[str, Any]:
        body = {"command": "sign_report", "object_id": tid, "body": {"digest": digest}}
        draft = ok(f.c.post("/api/v1/decisions/draft", json=body, headers=f.h(who)))
        signature = sign_decision(
            committee.keys[who], draft, command="sign_report", object_id=tid, actor_id=f.w[who].actor.user_id
        )
        return {"digest": digest, "signature": signature}

    signed = ok(f.c.post(f"{url}/signatures", json=signed_body("evaluator", digest), headers=f.h("evaluator")), 201)
    assert signed["signature"]["scheme"] == "ed25519"
    twice = f.c.post(f"{url}/signatures", json=signed_body("evaluator", digest), headers=f.h("evaluator"))
    assert twice.json()["code"] == "report.already_signed"
    unsigned = f.c.post(f"{url}/signatures", json={"digest": digest}, headers=f.h("evaluator2"))
    assert unsigned.json()["code"] == "decision.signature_required"
    outsider = f.c.post(f"{url}/signatures", json={"digest": digest}, headers=f.h("buyer"))
    assert outsider.status_code == 403

    record = ok(f.c.get(url, params={"format": "json"}, headers=f.h("auditor")))
    assert record["digest"] == digest  # signing does not change what was signed
    assert [s["name"] for s in record["signatures"]] == ["Evaluator"]
    assert "Підписи членів комісії" in f.c.get(url, headers=f.h("auditor")).text

    for member in ("evaluator", "evaluator2"):  # the committee consolidates: the record, and its digest, change
        ok(assess(f, tid, lot, member, [(b, True, "80") for b in bids]))
    ok(f.c.post(f"/api/v1/tenders/{tid}/lots/{lot}/consolidation", headers=f.h("evaluator")))
    stale = f.c.post(f"{url}/signatures", json=signed_body("evaluator2", digest), headers=f.h("evaluator2"))
    assert stale.json()["code"] == "report.stale_digest"
    fresh = ok(f.c.get(url, params={"format": "json"}, headers=f.h("auditor")))
    assert fresh["digest"] != digest
    assert fresh["signatures"] == []  # signatures belong to the report they were made on


def test_without_a_unicode_font_the_pdf_is_refused_and_the_html_still_works(
    f: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    committee = Committee(f)
    tid, _, _ = opened(f, committee)
    monkeypatch.setattr(evaluation, "FONT_CANDIDATES", ())
    url = f"/api/v1/tenders/{tid}/evaluation-report"
    pdf = f.c.get(url, params={"format": "pdf"}, headers=f.h("buyer"))
    assert pdf.status_code == 503
    assert pdf.json()["code"] == "report.no_font"
    assert f.c.get(url, headers=f.h("buyer")).status_code == 200

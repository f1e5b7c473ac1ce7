"""Claims and complaints through HTTP: windows, who may do what, the hold on signature, satisfied -> correction ->
resolved, and refusals that change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.actors import Role
from quartermaster.complaints.models import Complaint
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import ok
from support.world import World, add_person

Json = dict[str, Any]


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """A contract flow with a member of the review body (``reviewer``)."""
    with database.unit_of_work() as s:
        add_person(s, world, clock.now(), "reviewer", Role.REVIEWER, None)
    return ContractFlow(client, world, clock, database)


def file(cf: ContractFlow, tender_id: str, who: str, status: int = 201, **body: Any) -> Json:
    """File a complaint as ``who``, expecting ``status``."""
    spec = {"kind": "complaint", "title": "Unfair award", "description": "The winner's price is abnormally low."}
    resp = cf.c.post(f"/api/v1/tenders/{tender_id}/complaints", json=spec | body, headers=cf.h(who))
    out: Json = ok(resp, status)
    return out


def act(cf: ContractFlow, complaint_id: str, step: str, who: str, body: Json, status: int = 200) -> Json:
    """One step on a complaint as ``who``."""
    out: Json = ok(cf.c.post(f"/api/v1/complaints/{complaint_id}/{step}", json=body, headers=cf.h(who)), status)
    return out


def read(cf: ContractFlow, complaint_id: str, who: str | None = None) -> Json:
    """Read a complaint."""
    out: Json = ok(cf.c.get(f"/api/v1/complaints/{complaint_id}", headers=cf.h(who) if who else {}))
    return out


def award_complaint(cf: ContractFlow, kind: str = "complaint") -> tuple[Json, Json]:
    """An awarded tender (supplier1 won, supplier0 lost) and the loser's complaint against the award."""
    contract = cf.awarded()
    complaint = file(cf, contract["tender_id"], "supplier0", kind=kind, against="award", award_id=contract["award_id"])
    return contract, complaint


def test_satisfied_award_complaint_holds_signature_until_the_award_is_cancelled(
    cf: ContractFlow, world: World, database: Database
) -> None:
    contract, c = award_complaint(cf)
    cid, tid = contract["id"], contract["tender_id"]
    award = ok(cf.c.get(f"/api/v1/awards/{contract['award_id']}"))
    assert c["status"] == "pending"
    assert c["complainant_id"] == world["supplier0"].organization_id
    assert c["marking"] == "public"
    assert datetime.fromisoformat(c["window_end"]) == datetime.fromisoformat(award["complaint_end"])

    cf.advance_to(contract["not_before"])
    held = cf.c.post(f"/api/v1/contracts/{cid}/sign", headers=cf.h("approver"))
    assert held.status_code == 409
    assert held.headers["content-type"] == "application/problem+json"
    assert held.json()["code"] == "contract.complaint_pending"
    assert held.json()["complaint_ids"] == [c["id"]]
    assert cf.contract(cid) == contract  # the refusal changed nothing

    accepted = act(cf, c["id"], "accept", "reviewer", {"reason": "filed in time by a bidder"})
    assert accepted["status"] == "accepted"
    satisfied = act(
        cf,
        c["id"],
        "decide",
        "reviewer",
        {"outcome": "satisfied", "reason": "price not examined", "correction": "cancel the award and re-evaluate"},
    )
    assert satisfied["status"] == "satisfied"
    assert satisfied["required_action"] == "cancel_award"
    assert satisfied["correction"] == "cancel the award and re-evaluate"
    assert cf.c.post(f"/api/v1/contracts/{cid}/sign", headers=cf.h("approver")).json()["code"] == (
        "contract.complaint_pending"
    )

    early = cf.c.post(f"/api/v1/complaints/{c['id']}/resolve", json={"resolution": "done"}, headers=cf.h("approver"))
    assert early.status_code == 422
    assert early.json()["code"] == "complaint.correction_missing"
    assert early.json()["required_action"] == "cancel_award"
    assert early.json()["award_status"] == "active"
    assert read(cf, c["id"]) == satisfied  # unchanged

    ok(cf.c.post(f"/api/v1/awards/{award['id']}/cancel", json={"reason": "complaint upheld"}, headers=cf.h("approver")))
    resolved = act(cf, c["id"], "resolve", "approver", {"resolution": "award cancelled; lot back in evaluation"})
    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == "award cancelled; lot back in evaluation"

    with database.unit_of_work(write=False) as s:
        events = s.scalars(select(Event).where(Event.object_id == c["id"]).order_by(Event.seq)).all()
        steps = [(e.command, e.actor_id, e.state_before, e.state_after) for e in events]
        assert steps == [
            ("file_complaint", world["supplier0"].actor.user_id, None, "pending"),
            ("accept_complaint", world["reviewer"].actor.user_id, "pending", "accepted"),
            ("decide_complaint", world["reviewer"].actor.user_id, "accepted", "satisfied"),
            ("resolve_complaint", world["approver"].actor.user_id, "satisfied", "resolved"),
        ]
        assert all(e.process_id == tid and e.object_type == "complaint" for e in events)
        assert events[-1].payload["award_status"] == "cancelled"
        payloads = " ".join(str(e.payload) for e in events)
        assert "abnormally low" not in payloads  # digests only
        assert "re-evaluate" not in payloads
        assert len(events[0].payload["description_sha256"]) == 64


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (
            [
                ("accept", "reviewer", {"reason": "admissible"}),
                ("decide", "reviewer", {"outcome": "declined", "reason": "no merit"}),
            ],
            "declined",
        ),
        ([("reject", "reviewer", {"reason": "not a bidder's interest"})], "rejected"),
        ([("withdraw", "supplier0", {"reason": "settled"})], "stopped"),
        (
            [("accept", "reviewer", {"reason": "admissible"}), ("withdraw", "supplier0", {"reason": "settled"})],
            "stopped",
        ),
    ],
)
def test_a_complaint_that_ends_without_correction_releases_the_signature(
    cf: ContractFlow, steps: list[tuple[str, str, Json]], final: str
) -> None:
    contract, c = award_complaint(cf)
    for step, who, body in steps:
        out = act(cf, c["id"], step, who, body)
    assert out["status"] == final
    cf.advance_to(contract["not_before"])
    assert cf.sign(contract["id"], "approver")["buyer_signed_by"] is not None


def test_claim_goes_to_the_buyer_and_holds_signature_until_answered(cf: ContractFlow) -> None:
    contract, c = award_complaint(cf, kind="claim")
    assert c["kind"] == "claim"
    cf.advance_to(contract["not_before"])
    assert cf.c.post(f"/api/v1/contracts/{contract['id']}/sign", headers=cf.h("approver")).status_code == 409

    wrong = cf.c.post(f"/api/v1/complaints/{c['id']}/accept", json={"reason": "x"}, headers=cf.h("reviewer"))
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "state.invalid_transition"
    assert "buyer answers claims" in wrong.json()["detail"]
    supplier = cf.c.post(
        f"/api/v1/complaints/{c['id']}/answer",
        json={"resolution": "declined", "answer": "x"},
        headers=cf.h("supplier1"),
    )
    assert supplier.status_code == 403
    other_buyer = cf.c.post(
        f"/api/v1/complaints/{c['id']}/answer",
        json={"resolution": "declined", "answer": "x"},
        headers=cf.h("other_approver"),
    )
    assert other_buyer.status_code == 403
    assert other_buyer.json()["code"] == "auth.not_party"
    assert read(cf, c["id"]) == c

    answered = act(cf, c["id"], "answer", "buyer", {"resolution": "declined", "answer": "the price was examined"})
    assert answered["status"] == "declined"
    assert answered["answer"] == "the price was examined"
    again = cf.c.post(
        f"/api/v1/complaints/{c['id']}/answer", json={"resolution": "resolved", "answer": "y"}, headers=cf.h("buyer")
    )
    assert again.status_code == 409
    assert cf.sign(contract["id"], "approver")["buyer_signed_by"] is not None


def test_award_complaint_after_the_window_is_refused_with_the_window(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    award = ok(cf.c.get(f"/api/v1/awards/{contract['award_id']}"))
    end = datetime.fromisoformat(award["complaint_end"])
    cf.clock.set(end + timedelta(seconds=1))
    late = cf.c.post(
        f"/api/v1/tenders/{contract['tender_id']}/complaints",
        json={"kind": "complaint", "against": "award", "award_id": award["id"], "title": "t", "description": "d"},
        headers=cf.h("supplier0"),
    )
    assert late.status_code == 422
    assert late.json()["code"] == "complaint.window_closed"
    assert datetime.fromisoformat(late.json()["window_end"]) == end
    assert datetime.fromisoformat(late.json()["window_start"]) == datetime.fromisoformat(award["decided_at"])
    assert end.isoformat() in late.json()["detail"]
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Complaint)).all() == []
    cf.clock.set(end)
    assert file(cf, contract["tender_id"], "supplier0", against="award", award_id=award["id"])["status"] == "pending"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("supplier1", 403, "complaint.own_award"),  # the winner
        ("supplier2", 403, "complaint.not_a_bidder"),  # no bid on the tender
        ("buyer", 403, "auth.role_forbidden"),
        ("reviewer", 403, "auth.role_forbidden"),
        ("auditor", 403, "auth.role_forbidden"),
    ],
)
def test_only_a_losing_bidder_may_complain_about_an_award(
    cf: ContractFlow, database: Database, who: str, status: int, code: str
) -> None:
    contract = cf.awarded()
    body = {"against": "award", "award_id": contract["award_id"]}
    assert file(cf, contract["tender_id"], who, status, **body)["code"] == code
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Complaint)).all() == []
        assert s.scalars(select(Event).where(Event.object_type == "complaint")).all() == []


def test_bad_complaint_input_is_refused_and_changes_nothing(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    anon = cf.c.post(f"/api/v1/tenders/{tid}/complaints", json={"kind": "claim"})
    assert anon.status_code == 401
    cases: list[tuple[Json, int, str]] = [
        ({"against": "award"}, 422, "validation.failed"),  # award_id missing
        ({"against": "tender", "award_id": contract["award_id"]}, 422, "validation.failed"),
        ({"against": "award", "award_id": contract["award_id"], "title": ""}, 422, "validation.failed"),
        ({"against": "award", "award_id": contract["award_id"], "kind": "appeal"}, 422, "validation.failed"),
        ({"against": "award", "award_id": contract["award_id"], "extra": 1}, 422, "validation.failed"),
        ({"against": "award", "award_id": "nope"}, 404, "award.not_found"),
        ({"against": "disqualification", "bid_id": "nope"}, 404, "bid.not_found"),
        ({"against": "tender"}, 422, "complaint.window_closed"),  # bidding is over
    ]
    for body, status, code in cases:
        assert file(cf, tid, "supplier0", status, **body)["code"] == code, body
    missing = cf.c.post(
        "/api/v1/tenders/nope/complaints",
        json={"kind": "claim", "against": "tender", "title": "t", "description": "d"},
        headers=cf.h("supplier0"),
    )
    assert missing.status_code == 404

    c = file(cf, tid, "supplier0", against="award", award_id=contract["award_id"])
    accepted = act(cf, c["id"], "accept", "reviewer", {"reason": "ok"})
    for step, who, body, status in [
        ("decide", "reviewer", {"outcome": "satisfied", "reason": "r"}, 422),  # no correction named
        ("decide", "reviewer", {"outcome": "declined", "reason": "r", "correction": "c"}, 422),
        ("decide", "reviewer", {"outcome": "stopped", "reason": "r"}, 422),
        ("decide", "buyer", {"outcome": "declined", "reason": "r"}, 403),
        ("accept", "reviewer", {"reason": "again"}, 409),
        ("resolve", "approver", {"resolution": "r"}, 409),  # not satisfied
        ("withdraw", "supplier1", {"reason": "r"}, 403),  # not the complainant
        ("withdraw", "supplier0", {"reason": ""}, 422),
    ]:
        resp = cf.c.post(f"/api/v1/complaints/{c['id']}/{step}", json=body, headers=cf.h(who))
        assert resp.status_code == status, (step, who, body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    assert read(cf, c["id"]) == accepted
    assert cf.c.get("/api/v1/complaints/nope").status_code == 404
    with database.unit_of_work(write=False) as s:
        assert len(s.scalars(select(Event).where(Event.object_type == "complaint")).all()) == 2


def test_conditions_complaint_runs_until_the_tender_period_ends_and_is_corrected_by_cancelling(
    cf: ContractFlow, world: World
) -> None:
    tid = cf.to_tendering()
    tender = cf.tender(tid)
    c = file(cf, tid, "supplier3", against="tender", title="Brand-name specification")  # any registered supplier
    assert datetime.fromisoformat(c["window_end"]) == datetime.fromisoformat(tender["tender_end"])
    assert [x["id"] for x in ok(cf.c.get(f"/api/v1/tenders/{tid}/complaints"))] == [c["id"]]  # public process

    act(cf, c["id"], "accept", "reviewer", {"reason": "admissible"})
    act(cf, c["id"], "decide", "reviewer", {"outcome": "satisfied", "reason": "r", "correction": "drop the brand"})
    missing = cf.c.post(f"/api/v1/complaints/{c['id']}/resolve", json={"resolution": "r"}, headers=cf.h("approver"))
    assert missing.json()["code"] == "complaint.correction_missing"
    assert missing.json()["required_action"] == "cancel_tender"
    ok(cf.c.post(f"/api/v1/tenders/{tid}/cancel", json={"reason": "complaint upheld"}, headers=cf.h("approver")))
    assert act(cf, c["id"], "resolve", "buyer", {"resolution": "tender cancelled"})["status"] == "resolved"

    later = cf.to_tendering()
    cf.advance_to(cf.tender(later)["tender_end"])
    late = file(cf, later, "supplier3", 422, against="tender")
    assert late["code"] == "complaint.window_closed"
    assert datetime.fromisoformat(late["window_end"]) == datetime.fromisoformat(cf.tender(later)["tender_end"])


def test_disqualified_bidder_complains_and_the_tender_contracts_wait(cf: ContractFlow) -> None:
    tid = cf.to_tendering()
    cf.bid(tid, "supplier0", "90000.00")
    cf.bid(tid, "supplier1", "100000.00")
    cf.open(tid)
    bids = {b["supplier_id"]: b for b in ok(cf.c.get(f"/api/v1/tenders/{tid}/bids"))}
    mine = bids[cf.w["supplier0"].organization_id]
    ok(cf.c.post(f"/api/v1/bids/{mine['id']}/disqualify", json={"reason": "no licence"}, headers=cf.h("approver")))
    other = bids[cf.w["supplier1"].organization_id]
    assert file(cf, tid, "supplier1", 403, against="disqualification", bid_id=mine["id"])["code"] == "auth.not_party"
    assert file(cf, tid, "supplier1", 409, against="disqualification", bid_id=other["id"])["code"] == (
        "complaint.bid_not_disqualified"
    )
    c = file(cf, tid, "supplier0", against="disqualification", bid_id=mine["id"], title="The licence was attached")
    lot_id = cf.tender(tid)["lots"][0]["id"]
    verdict = {"lot_id": lot_id, "compliant": True}
    ok(cf.c.post(f"/api/v1/bids/{other['id']}/evaluations", json=verdict, headers=cf.h("evaluator")))
    cf.award_best(tid)
    contract = ok(cf.c.get("/api/v1/contracts", params={"tender_id": tid}))["data"][0]
    cf.advance_to(contract["not_before"])
    held = cf.c.post(f"/api/v1/contracts/{contract['id']}/sign", headers=cf.h("approver"))
    assert held.json()["code"] == "contract.complaint_pending"
    act(cf, c["id"], "accept", "reviewer", {"reason": "admissible"})
    act(cf, c["id"], "decide", "reviewer", {"outcome": "satisfied", "reason": "r", "correction": "re-examine"})
    missing = cf.c.post(f"/api/v1/complaints/{c['id']}/resolve", json={"resolution": "r"}, headers=cf.h("approver"))
    assert missing.json()["code"] == "complaint.correction_missing"
    assert missing.json()["bid_status"] == "disqualified"


def test_disqualification_complaint_window_runs_from_the_disqualification(cf: ContractFlow) -> None:
    tid = cf.to_tendering()
    cf.bid(tid, "supplier0", "90000.00")
    cf.open(tid)
    bid = ok(cf.c.get(f"/api/v1/tenders/{tid}/bids"))[0]
    ok(cf.c.post(f"/api/v1/bids/{bid['id']}/disqualify", json={"reason": "no licence"}, headers=cf.h("approver")))
    cf.clock.advance(timedelta(days=30))
    late = file(cf, tid, "supplier0", 422, against="disqualification", bid_id=bid["id"])
    assert late["code"] == "complaint.window_closed"
    assert late["against"] == "disqualification"


def test_reviewer_of_the_buyer_or_complainant_organization_may_not_hear_it(
    cf: ContractFlow, world: World, database: Database
) -> None:
    with database.unit_of_work() as s:
        add_person(s, world, cf.clock.now(), "buyer_reviewer", Role.REVIEWER, world.buyer_org)
    _, c = award_complaint(cf)
    refused = cf.c.post(f"/api/v1/complaints/{c['id']}/accept", json={"reason": "x"}, headers=cf.h("buyer_reviewer"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "complaint.conflict"
    assert read(cf, c["id"]) == c


def test_review_queue_lists_pending_and_accepted_complaints_not_claims(cf: ContractFlow) -> None:
    contract, c = award_complaint(cf)
    claim = file(cf, contract["tender_id"], "supplier0", kind="claim", against="award", award_id=contract["award_id"])
    queue = ok(cf.c.get("/api/v1/complaints", headers=cf.h("reviewer")))
    assert [x["id"] for x in queue] == [c["id"]]
    assert claim["id"] not in [x["id"] for x in queue]
    act(cf, c["id"], "reject", "reviewer", {"reason": "late"})
    assert ok(cf.c.get("/api/v1/complaints", headers=cf.h("reviewer"))) == []
    rejected = ok(cf.c.get("/api/v1/complaints", params={"status": "rejected"}, headers=cf.h("reviewer")))
    assert [x["id"] for x in rejected] == [c["id"]]
    assert cf.c.get("/api/v1/complaints", headers=cf.h("buyer")).status_code == 403
    assert cf.c.get("/api/v1/complaints", params={"status": "bogus"}, headers=cf.h("reviewer")).status_code == 422


def test_a_retried_filing_with_the_same_idempotency_key_files_once(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    body = {"kind": "complaint", "against": "award", "award_id": contract["award_id"], "title": "t", "description": "d"}
    headers = {**cf.h("supplier0"), "Idempotency-Key": "complaint-1"}
    first = cf.c.post(f"/api/v1/tenders/{contract['tender_id']}/complaints", json=body, headers=headers)
    again = cf.c.post(f"/api/v1/tenders/{contract['tender_id']}/complaints", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.headers["Location"] == f"/api/v1/complaints/{first.json()['id']}"
    with database.unit_of_work(write=False) as s:
        assert len(s.scalars(select(Complaint)).all()) == 1

"""The committee's consolidation is the evaluation of record: a committee tender's lot is ranked and awarded on the
consolidated compliance and the median findings (never on one evaluator's rows), and not before the chair has
consolidated; a tender without a committee is ranked on its evaluators' rows as it always was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.events.service import payload_hash
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1: sealed bids, committees
PRICES = ("7100000.00", "7200000.00", "7300000.00")  # none abnormally low (0.7 x the median is 5,040,000)


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


class CommitteeLot:
    """A sealed tender with a committee of three (k = 2), its single lot opened with a bid per price."""

    def __init__(self, f: Flow, prices: tuple[str, ...] = PRICES, **tender: Any) -> None:
        self.f = f
        self.committee = Committee(f)
        body = tender_body("open", **tender)
        body["lots"][0]["value"]["amount"] = "8000000.00"  # above the threshold-sealing value: the committee's key
        d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
        self.tid = d["id"]
        self.committee.appoint(self.tid)
        f.advance_to(f.publish(self.tid)["enquiry_end"])
        t = f.tender(self.tid, "buyer")
        self.lot = t["lots"][0]["id"]
        self.bids: list[str] = []
        for i, price in enumerate(prices):
            values = {"values": [{"lot_id": self.lot, "value": {"amount": price, "currency": "UAH"}}]}
            who = f"supplier{i}"
            sealed = f.seal(self.tid, who, values)
            self.bids.append(
                ok(f.c.post(f"/api/v1/tenders/{self.tid}/bids", json=sealed, headers=f.h(who)), 201)["bid_id"]
            )
        f.advance_to(t["tender_end"])
        for member in ("evaluator", "evaluator2"):
            ok(self.committee.release(self.tid, member))
        ok(f.c.post(f"/api/v1/tenders/{self.tid}/open-bids", headers=f.h("evaluator")))
        self.committee.declare(self.tid, "approver2")
        self.url = f"/api/v1/tenders/{self.tid}/lots/{self.lot}"

    def assess(self, who: str, *scores: dict[str, Any]) -> Any:
        body = {"scores": [{"compliant": True, **s} for s in scores]}
        return ok(self.f.c.post(f"{self.url}/assessments", json=body, headers=self.f.h(who)))

    def consolidate(self) -> dict[str, Any]:
        return ok(self.f.c.post(f"{self.url}/consolidation", headers=self.f.h("evaluator")))  # type: ignore[no-any-return]

    def evaluate(self, bid: str, **verdict: Any) -> None:
        """One evaluator's own verdict (evaluate_bid): kept, but not the evaluation of record here."""
        body = {"lot_id": self.lot, "compliant": True, **verdict}
        ok(self.f.c.post(f"/api/v1/bids/{bid}/evaluations", json=body, headers=self.f.h("evaluator")))

    def ranking(self) -> list[dict[str, Any]]:
        return ok(self.f.c.get(f"{self.url}/ranking", headers=self.f.h("buyer")))  # type: ignore[no-any-return]

    def award(self, bid: str) -> Any:
        return self.f.c.post(f"{self.url}/award", json={"bid_ids": [bid]}, headers=self.f.h("approver"))


def problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 refusal with this status and code."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    return body


def events(f: Flow, tid: str) -> list[dict[str, Any]]:
    return ok(f.c.get(f"/api/v1/tenders/{tid}/events", headers=f.h("auditor")))["data"]  # type: ignore[no-any-return]


def test_a_lot_is_not_awarded_before_the_committee_has_consolidated(f: Flow) -> None:
    lot = CommitteeLot(f)
    for bid in lot.bids:
        lot.evaluate(bid)  # every evaluator row says compliant: it does not make the lot awardable
    lot.assess("evaluator", *({"bid_id": b} for b in lot.bids))
    lot.assess("evaluator2", *({"bid_id": b} for b in lot.bids))  # a quorum, but nobody has consolidated yet

    ranking = lot.ranking()
    assert {r["basis"] for r in ranking} == {"consolidation"}
    assert [r["compliant"] for r in ranking] == [False, False, False]
    refused = problem(lot.award(lot.bids[0]), 422, "award.not_consolidated")
    assert refused["lot_id"] == lot.lot
    assert ok(f.c.get(f"/api/v1/tenders/{lot.tid}/awards")) == []
    assert f.tender(lot.tid, "buyer")["lots"][0]["status"] == "active"
    assert not any(e["event_type"] == "AwardMade" for e in events(f, lot.tid))

    lot.consolidate()
    assert ok(lot.award(lot.bids[0]), 201)[0]["bid_id"] == lot.bids[0]


def test_a_bid_the_consolidation_finds_non_compliant_cannot_win(f: Flow) -> None:
    lot = CommitteeLot(f)
    b0, b1, b2 = lot.bids
    for bid in lot.bids:
        lot.evaluate(bid)  # the evaluator alone finds the cheapest bid compliant
    lot.assess("evaluator", {"bid_id": b0, "compliant": True}, {"bid_id": b1}, {"bid_id": b2})
    lot.assess("evaluator2", {"bid_id": b0, "compliant": False}, {"bid_id": b1}, {"bid_id": b2})
    lot.assess("approver2", {"bid_id": b0, "compliant": False}, {"bid_id": b1}, {"bid_id": b2, "compliant": False})
    consolidated = lot.consolidate()
    by_bid = {r["bid_id"]: r for r in consolidated["results"]}
    assert (by_bid[b0]["compliant"], by_bid[b0]["votes_compliant"], by_bid[b0]["votes"]) == (False, 1, 3)
    assert by_bid[b2]["compliant"] is True  # two of three

    ranking = lot.ranking()
    assert [r["bid_id"] for r in ranking] == [b1, b2, b0]  # the cheapest comes last: not compliant
    assert [r["compliant"] for r in ranking] == [True, True, False]
    refused = problem(lot.award(b0), 422, "award.not_compliant")
    assert "consolidation" in refused["detail"]
    problem(lot.award(b2), 422, "award.not_best_ranked")
    made = ok(lot.award(b1), 201)

    log = events(f, lot.tid)
    (scores_consolidated,) = [e for e in log if e["event_type"] == "ScoresConsolidated"]
    (award_made,) = [e for e in log if e["event_type"] == "AwardMade"]
    assert award_made["object_id"] == made[0]["id"]
    assert award_made["payload"]["bid_id"] == b1
    assert award_made["payload"]["consolidation_id"] == scores_consolidated["payload"]["consolidation_id"]


def test_the_median_quality_decides_best_value(f: Flow) -> None:
    weights = {"price": "0.5", "quality": "0.5"}
    lot = CommitteeLot(
        f,
        ("7100000.00", "7300000.00"),
        award_criteria="ratedCriteria",
        award_method="best_value",
        award_weights=weights,
    )
    b0, b1 = lot.bids
    lot.evaluate(b0, score="100")  # one evaluator's own scores would hand b0 the lot; they do not count here
    lot.evaluate(b1, score="0")
    lot.assess("evaluator", {"bid_id": b0, "quality": "90"}, {"bid_id": b1, "quality": "64"})
    lot.assess("evaluator2", {"bid_id": b0, "quality": "50"}, {"bid_id": b1, "quality": "64"})
    lot.assess("approver2", {"bid_id": b0, "quality": "60"}, {"bid_id": b1, "quality": "64"})
    lot.consolidate()

    ranking = lot.ranking()
    # b0: 0.5 x 100 + 0.5 x 60 (the median; the mean, 66.67, would make it 83.33 and the winner) = 80
    # b1: 0.5 x (100 x 7.1 / 7.3) + 0.5 x 64 = 0.5 x 97.2603 + 32 = 80.63015, 80.6302 half-even
    assert [(r["bid_id"], r["figure"]) for r in ranking] == [(b1, "80.6302"), (b0, "80.0000")]
    assert [r["mean_score"] for r in ranking] == ["64.00", "60.00"]
    assert ranking[0]["points"] == {"price": "97.2603", "quality": "64.0000"}
    problem(lot.award(b0), 422, "award.not_best_ranked")
    ok(lot.award(b1), 201)


def test_best_value_weighs_the_median_delivery_the_members_recorded(f: Flow) -> None:
    weights = {"price": "0.5", "quality": "0.3", "delivery": "0.2"}
    lot = CommitteeLot(
        f,
        ("7100000.00", "7300000.00"),
        award_criteria="ratedCriteria",
        award_method="best_value",
        award_weights=weights,
    )
    b0, b1 = lot.bids
    lot.evaluate(b0, score="80", delivery_days=10)  # the evaluator's own delivery finding does not count here
    lot.evaluate(b1, score="80", delivery_days=10)
    lot.assess("evaluator", {"bid_id": b0, "quality": "80", "delivery_days": 90}, {"bid_id": b1, "quality": "80"})
    lot.assess("evaluator2", {"bid_id": b0, "quality": "80", "delivery_days": 60}, {"bid_id": b1, "quality": "80"})
    lot.consolidate()
    ranking = lot.ranking()
    assert ranking[0]["bid_id"] == b0
    assert ranking[1]["missing"] == ["delivery"]  # the members recorded no delivery time for b1
    refused = problem(lot.award(b1), 422, "award.not_scored")
    assert "committee" in refused["detail"]
    assert ranking[0]["points"]["delivery"] == "100.0000"  # the only ranked offer sets the benchmark: median 75 days
    log = events(f, lot.tid)
    (consolidated,) = [e for e in log if e["event_type"] == "ScoresConsolidated"]
    result = next(r for r in consolidated["payload"]["results"] if r["bid_id"] == b0)
    assert result["delivery_days"] == "75.00"
    # each member's digest, logged when they assessed, is the digest of their scores the consolidation reveals,
    # delivery days included
    revealed = consolidated["payload"]["scores"]
    for submitted in (e for e in log if e["event_type"] == "ScoresSubmitted"):
        theirs = [v for v in revealed if v["member"] == submitted["actor_id"]]
        assert submitted["payload"]["scores_digest"] == payload_hash({"scores": theirs})
        assert {v["delivery_days"] for v in theirs} & {90, 60}
    ok(lot.award(b0), 201)


def test_assessments_refuse_impossible_delivery_and_cost(f: Flow) -> None:
    lot = CommitteeLot(f)
    b0 = lot.bids[0]
    for extra, field in (({"delivery_days": 0}, "delivery_days"), ({"life_cycle_cost": "-5"}, "life_cycle_cost")):
        body = {"scores": [{"bid_id": b0, "compliant": True, **extra}]}
        resp = f.c.post(f"{lot.url}/assessments", json=body, headers=f.h("evaluator"))
        refused = problem(resp, 422, "validation.failed")
        assert field in str(refused["errors"])
    assert ok(f.c.get(f"{lot.url}/assessments", headers=f.h("evaluator")))["scores"] == []  # nothing recorded


def test_a_tender_without_a_committee_is_still_awarded_on_its_evaluators_rows(f: Flow) -> None:
    f.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # rulebook 2025.1: no sealing, no committee
    t = ok(f.c.post("/api/v1/tenders", json=tender_body("open"), headers=f.h("buyer")), 201)
    tid, lot = t["id"], t["lots"][0]["id"]
    pub = f.publish(tid)
    if pub["enquiry_end"]:
        f.advance_to(pub["enquiry_end"])
    bids = [f.bid(tid, who, amount) for who, amount in (("supplier0", "900000.00"), ("supplier1", "950000.00"))]
    b0, b1 = (r.get("bid_id", r.get("id")) for r in bids)
    f.open(tid)
    url = f"/api/v1/tenders/{tid}/lots/{lot}"
    ok(f.c.post(f"/api/v1/bids/{b0}/evaluations", json={"lot_id": lot, "compliant": False}, headers=f.h("evaluator")))
    ok(f.c.post(f"/api/v1/bids/{b1}/evaluations", json={"lot_id": lot, "compliant": True}, headers=f.h("evaluator")))

    ranking = ok(f.c.get(f"{url}/ranking"))
    assert [(r["bid_id"], r["compliant"], r["basis"]) for r in ranking] == [
        (b1, True, "evaluations"),
        (b0, False, "evaluations"),
    ]
    problem(f.c.post(f"{url}/award", json={"bid_ids": [b0]}, headers=f.h("approver")), 422, "award.not_compliant")
    ok(f.c.post(f"{url}/award", json={"bid_ids": [b1]}, headers=f.h("approver")), 201)
    (award_made,) = [e for e in events(f, tid) if e["event_type"] == "AwardMade"]
    assert "consolidation_id" not in award_made["payload"]

"""Award methods through HTTP: the tender's method and weights, the ranking, and abnormally low prices that must be
justified (requested by the buyer side, answered by the supplier) before they can be awarded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.world import World


class Lot:
    """One open tender with a single lot, driven to qualification with the given prices."""

    def __init__(self, f: Flow, prices: dict[str, str], **tender: Any) -> None:
        self.f = f
        t = ok(f.c.post("/api/v1/tenders", json=tender_body("open", **tender), headers=f.h("buyer")), 201)
        self.tid, self.lot_id = t["id"], t["lots"][0]["id"]
        pub = f.publish(self.tid)
        if pub["enquiry_end"]:
            f.advance_to(pub["enquiry_end"])
        receipts = {who: f.bid(self.tid, who, amount) for who, amount in prices.items()}
        self.bids = {who: r.get("bid_id", r.get("id")) for who, r in receipts.items()}  # a receipt, or the bid
        f.open(self.tid)

    def evaluate(self, who: str, **verdict: Any) -> Any:
        body = {"lot_id": self.lot_id, "compliant": True, **verdict}
        return self.f.c.post(f"/api/v1/bids/{self.bids[who]}/evaluations", json=body, headers=self.f.h("evaluator"))

    def ranking(self) -> list[dict[str, Any]]:
        return ok(self.f.c.get(f"/api/v1/tenders/{self.tid}/lots/{self.lot_id}/ranking"))  # type: ignore[no-any-return]

    def award(self, who: str) -> Any:
        url = f"/api/v1/tenders/{self.tid}/lots/{self.lot_id}/award"
        return self.f.c.post(url, json={"bid_ids": [self.bids[who]]}, headers=self.f.h("approver"))

    def ask(self, who: str, asker: str = "buyer") -> Any:
        body = {"lot_id": self.lot_id, "question": "How can you deliver at this price?"}
        return self.f.c.post(
            f"/api/v1/bids/{self.bids[who]}/justification-requests", json=body, headers=self.f.h(asker)
        )

    def answer(self, request_id: str, who: str) -> Any:
        body = {"answer": "Stock bought before the price rise; cost breakdown attached."}
        return self.f.c.post(f"/api/v1/justification-requests/{request_id}/answer", json=body, headers=self.f.h(who))


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    return Flow(client, world, clock, database)


def problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 refusal with this status and code."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    return body


# --- abnormally low prices --------------------------------------------------------------------------------------

LOW = {"supplier0": "1000000.00", "supplier1": "950000.00", "supplier2": "500000.00"}  # 0.7 x 950000 = 665000


def test_an_abnormally_low_winner_is_awarded_only_after_its_supplier_has_answered_a_justification_request(
    f: Flow, world: World
) -> None:
    lot = Lot(f, LOW)
    for who in LOW:
        ok(lot.evaluate(who))
    ranking = lot.ranking()
    assert [r["bid_id"] for r in ranking] == [lot.bids["supplier2"], lot.bids["supplier1"], lot.bids["supplier0"]]
    assert [r["abnormally_low"] for r in ranking] == [True, False, False]
    assert ranking[0]["method"] == "lowest_price"
    assert ranking[0]["justification"] is None

    refused = problem(lot.award("supplier2"), 422, "award.abnormally_low_unjustified")
    assert refused["justification"] == "none"

    asked = ok(lot.ask("supplier2"), 201)
    assert asked["status"] == "requested"
    assert asked["price"] == {"amount": "500000.00", "currency": "UAH"}
    assert asked["threshold"] == {"amount": "665000.00", "currency": "UAH"}
    assert lot.ranking()[0]["justification"] == "requested"
    refused = problem(lot.award("supplier2"), 422, "award.abnormally_low_unjustified")
    assert refused["justification"] == "requested"

    problem(lot.answer(asked["id"], "supplier0"), 403, "justification.not_addressee")
    answered = ok(lot.answer(asked["id"], "supplier2"))
    assert answered["status"] == "answered"
    assert answered["answered_by"] == world["supplier2"].actor.user_id
    problem(lot.answer(asked["id"], "supplier2"), 409, "state.invalid_transition")

    made = ok(lot.award("supplier2"), 201)
    assert made[0]["supplier_id"] == world["supplier2"].organization_id
    events = ok(f.c.get(f"/api/v1/tenders/{lot.tid}/events", headers=f.h("auditor")))["data"]
    commands = [e["command"] for e in events]
    assert commands.index("request_justification") < commands.index("answer_justification") < commands.index("award")
    asked_event = next(e for e in events if e["command"] == "request_justification")
    assert asked_event["object_type"] == "justification"
    assert asked_event["state_after"] == "requested"


def test_justification_requests_are_shown_to_the_buyer_side_and_the_supplier_asked_only(f: Flow) -> None:
    lot = Lot(f, LOW)
    for who in LOW:
        ok(lot.evaluate(who))
    asked = ok(lot.ask("supplier2", asker="approver"), 201)
    url = f"/api/v1/tenders/{lot.tid}/justification-requests"
    assert [r["id"] for r in ok(f.c.get(url, headers=f.h("buyer")))] == [asked["id"]]
    assert [r["id"] for r in ok(f.c.get(url, headers=f.h("supplier2")))] == [asked["id"]]
    assert ok(f.c.get(url, headers=f.h("supplier0"))) == []
    assert ok(f.c.get(url)) == []
    one = f"/api/v1/justification-requests/{asked['id']}"
    assert ok(f.c.get(one, headers=f.h("auditor")))["question"] == "How can you deliver at this price?"
    problem(f.c.get(one, headers=f.h("supplier1")), 404, "justification.not_found")


def test_only_an_abnormally_low_price_is_asked_to_be_justified_and_only_once(f: Flow) -> None:
    lot = Lot(f, LOW)
    for who in LOW:
        ok(lot.evaluate(who))
    refused = problem(lot.ask("supplier1"), 422, "justification.not_abnormally_low")
    assert refused["threshold"] == "665000.00"
    ok(lot.ask("supplier2"), 201)
    problem(lot.ask("supplier2"), 409, "state.invalid_transition")


@pytest.mark.parametrize(("asker", "code"), [("supplier2", "auth.role_forbidden"), ("other_buyer", "auth.not_party")])
def test_a_supplier_or_another_buyer_cannot_request_a_justification(f: Flow, asker: str, code: str) -> None:
    lot = Lot(f, LOW)
    for who in LOW:
        ok(lot.evaluate(who))
    problem(lot.ask("supplier2", asker=asker), 403, code)


def test_a_bid_not_abnormally_low_is_awarded_without_any_justification(f: Flow) -> None:
    lot = Lot(f, {"supplier0": "1000000.00", "supplier1": "900000.00"})
    for who in ("supplier0", "supplier1"):
        ok(lot.evaluate(who))
    assert not any(r["abnormally_low"] for r in lot.ranking())
    ok(lot.award("supplier1"), 201)


# --- best value and price per quality point ---------------------------------------------------------------------

PRICES = {"supplier0": "1000000.00", "supplier1": "800000.00"}


def test_best_value_with_the_buyers_weights_awards_the_higher_weighted_score(f: Flow) -> None:
    weights = {"price": "0.4", "quality": "0.6"}
    lot = Lot(f, PRICES, award_criteria="ratedCriteria", award_method="best_value", award_weights=weights)
    assert f.tender(lot.tid)["award_weights"] == {"price": "0.4", "quality": "0.6"}
    ok(lot.evaluate("supplier0", score="95"))
    ok(lot.evaluate("supplier1", score="40"))
    ranking = lot.ranking()
    assert [r["bid_id"] for r in ranking] == [lot.bids["supplier0"], lot.bids["supplier1"]]
    assert ranking[0]["figure"] == "89.0000"  # 0.4 * 80 + 0.6 * 95
    assert ranking[0]["points"] == {"price": "80.0000", "quality": "95.0000"}
    assert ranking[1]["figure"] == "64.0000"  # 0.4 * 100 + 0.6 * 40
    problem(lot.award("supplier1"), 422, "award.not_best_ranked")
    ok(lot.award("supplier0"), 201)


ALL_CRITERIA = {"price": "0.60", "quality": "0.25", "delivery": "0.10", "life_cycle_cost": "0.05"}


def test_best_value_needs_every_weighted_finding_before_an_award(f: Flow) -> None:
    f.clock.set(datetime(2026, 9, 7, 9, 0, tzinfo=UTC))  # rulebook 2026.1 lists delivery and life-cycle cost
    lot = Lot(f, PRICES, award_criteria="ratedCriteria", award_method="best_value", award_weights=ALL_CRITERIA)
    ok(lot.evaluate("supplier0", score="80"))
    ok(lot.evaluate("supplier1", score="70", delivery_days=30, life_cycle_cost="1500000.00"))
    ranking = lot.ranking()
    assert ranking[0]["bid_id"] == lot.bids["supplier1"]
    assert ranking[0]["method"] == "best_value"
    assert ranking[1]["missing"] == ["delivery", "life_cycle_cost"]
    assert ranking[1]["figure"] is None
    refused = problem(lot.award("supplier0"), 422, "award.not_scored")
    assert refused["missing"] == ["delivery", "life_cycle_cost"]
    evaluations = ok(f.c.get(f"/api/v1/tenders/{lot.tid}/evaluations", headers=f.h("buyer")))
    mine = next(e for e in evaluations if e["bid_id"] == lot.bids["supplier1"])
    assert (mine["delivery_days"], mine["life_cycle_cost"]) == (30, "1500000.00")
    ok(lot.award("supplier1"), 201)


def test_price_per_quality_point_awards_the_lowest_price_per_point(f: Flow) -> None:
    lot = Lot(f, PRICES, award_criteria="ratedCriteria", award_method="price_per_quality_point")
    ok(lot.evaluate("supplier0", score="100"))  # 10000 per point
    ok(lot.evaluate("supplier1", score="50"))  # 16000 per point
    ranking = lot.ranking()
    assert [(r["bid_id"], r["figure"]) for r in ranking] == [
        (lot.bids["supplier0"], "10000.0000"),
        (lot.bids["supplier1"], "16000.0000"),
    ]
    ok(lot.award("supplier0"), 201)


def test_evaluations_without_scores_stay_valid_for_lowest_price(f: Flow) -> None:
    lot = Lot(f, PRICES)
    ok(lot.evaluate("supplier0"))
    ok(lot.evaluate("supplier1", notes="meets the specification"))
    assert lot.ranking()[0]["bid_id"] == lot.bids["supplier1"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"award_criteria": "ratedCriteria", "award_weights": {"price": "0.5", "quality": "0.4"}}, "award_weights"),
        ({"award_criteria": "priceOnly", "award_weights": {"price": "1"}}, "award_weights"),
        ({"award_criteria": "priceOnly", "award_method": "price_per_quality_point"}, "award_method"),
        ({"award_criteria": "ratedCriteria", "award_method": "lowest_price"}, "award_method"),
    ],
)
def test_an_award_method_that_does_not_fit_the_tender_is_refused_at_creation(
    f: Flow, extra: dict[str, Any], field: str
) -> None:
    resp = f.c.post("/api/v1/tenders", json=tender_body("open", **extra), headers=f.h("buyer"))
    body = problem(resp, 422, "validation.failed")
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("weights", [{"price": "0.5", "charm": "0.5"}, {"price": "1.5"}, {"price": "0.33333"}, {}])
def test_malformed_weights_are_refused_by_the_schema(f: Flow, weights: dict[str, str]) -> None:
    extra = {"award_criteria": "ratedCriteria", "award_weights": weights}
    resp = f.c.post("/api/v1/tenders", json=tender_body("open", **extra), headers=f.h("buyer"))
    problem(resp, 422, "validation.failed")


def test_changing_a_drafts_criteria_away_from_its_method_is_refused(f: Flow) -> None:
    t = f.create(award_criteria="ratedCriteria", award_method="price_per_quality_point")
    url = f"/api/v1/tenders/{t['id']}"
    etag = f.c.get(url, headers=f.h("buyer")).headers["ETag"]
    resp = f.c.patch(url, json={"award_criteria": "priceOnly"}, headers={**f.h("buyer"), "If-Match": etag})
    body = problem(resp, 422, "validation.failed")
    assert [e["field"] for e in body["errors"]] == ["award_method"]
    both = {"award_criteria": "priceOnly", "award_method": "lowest_price"}
    changed = ok(f.c.patch(url, json=both, headers={**f.h("buyer"), "If-Match": etag}))
    assert (changed["award_criteria"], changed["award_method"]) == ("priceOnly", "lowest_price")


def test_rulebook_2025_1_ranks_rated_criteria_on_quality_then_price_as_it_always_did(f: Flow) -> None:
    lot = Lot(f, PRICES, award_criteria="ratedCriteria")  # no weights: the rulebook's (2025.1: quality 1, price 0)
    ok(lot.evaluate("supplier0", score="80"))
    ok(lot.evaluate("supplier1", score="80"))
    ranking = lot.ranking()
    assert [r["bid_id"] for r in ranking] == [lot.bids["supplier1"], lot.bids["supplier0"]]  # a tie: lower price
    assert ranking[0]["missing"] == []  # delivery and life-cycle cost are not weighed, so not needed

"""A full lifecycle up to the award for each procedure type, through HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.core_scenes import Scene, apply, bid, decide, draft, evaluate, open_bids, published, to_deadline
from support.flows import Flow, ok
from support.world import World

Outcome = tuple[Scene, str, str]  # the scene, the supplier expected to win, the winning amount


def _award_best(scene: Scene) -> list[dict[str, Any]]:
    ranking = ok(scene.f.c.get(f"/api/v1/tenders/{scene.tender_id}/lots/{scene.lot_id}/ranking"))
    url = f"/api/v1/tenders/{scene.tender_id}/lots/{scene.lot_id}/award"
    made: list[dict[str, Any]] = ok(
        scene.f.c.post(url, json={"bid_ids": [ranking[0]["bid_id"]]}, headers=scene.f.h("approver")), 201
    )
    return made


def _evaluate_all(scene: Scene) -> None:
    for b in ok(scene.f.c.get(f"/api/v1/tenders/{scene.tender_id}/bids")):
        evaluate(scene, b["id"])


def run_open(f: Flow) -> Outcome:
    """Enquiries, tendering, opening, evaluation."""
    s = published(f, "open")
    assert s.state() == "active.enquiries"
    f.advance_to(s.tender()["enquiry_end"])
    for supplier, amount in (("supplier0", "900000.00"), ("supplier1", "850000.00"), ("supplier2", "870000.00")):
        bid(s, supplier, amount)
    to_deadline(s)
    assert open_bids(s)["status"] == "active.qualification"
    _evaluate_all(s)
    _award_best(s)
    return s, "supplier1", "850000.00"


def run_selective(f: Flow) -> Outcome:
    """Candidacies, prequalification review, invitations, invited bids only."""
    s = published(f, "selective")
    assert s.state() == "active.prequalification"
    candidacies = {sup: apply(s, sup) for sup in ("supplier0", "supplier1", "supplier2")}
    f.advance_to(s.tender()["prequalification_end"])
    assert s.state() == "active.prequalification.review"
    late = f.c.post(f"/api/v1/tenders/{s.tender_id}/candidacies", json={}, headers=f.h("supplier3"))
    assert late.status_code == 409
    decide(s, candidacies["supplier0"])
    decide(s, candidacies["supplier1"], who="approver")
    decide(s, candidacies["supplier2"], qualify=False)
    tender_end = (f.clock.now() + timedelta(days=36)).isoformat()
    invited = ok(
        f.c.post(f"/api/v1/tenders/{s.tender_id}/invite", json={"tender_end": tender_end}, headers=f.h("approver"))
    )
    assert invited["status"] == "active.tendering"
    for outsider in ("supplier2", "supplier3"):  # rejected, and never applied
        body = {"values": [{"lot_id": s.lot_id, "value": {"amount": "1.00", "currency": "UAH"}}]}
        refused = f.c.post(f"/api/v1/tenders/{s.tender_id}/bids", json=body, headers=f.h(outsider))
        assert (refused.status_code, refused.json()["code"]) == (403, "bid.not_invited")
    bid(s, "supplier0", "700000.00")
    bid(s, "supplier1", "650000.00")
    to_deadline(s)
    assert open_bids(s)["status"] == "active.qualification"
    _evaluate_all(s)
    _award_best(s)
    return s, "supplier1", "650000.00"


def run_negotiated(f: Flow) -> Outcome:
    """Initial tenders, opening, revised offers in negotiation, close, award on the revised prices."""
    s = published(f, "negotiated")
    assert s.state() == "active.tendering"
    first = bid(s, "supplier0", "800000.00")
    second = bid(s, "supplier1", "820000.00")
    to_deadline(s)
    assert open_bids(s)["status"] == "active.negotiation"
    revised = ok(
        f.c.post(
            f"/api/v1/bids/{second}/revise",
            json={"values": [{"lot_id": s.lot_id, "value": {"amount": "760000.00", "currency": "UAH"}}]},
            headers=f.h("supplier1"),
        )
    )
    assert revised["values"][0]["value"]["amount"] == "760000.00"
    assert revised["values"][0]["initial_value"]["amount"] == "820000.00"  # the first offer stays on record
    rival = f.c.post(
        f"/api/v1/bids/{first}/revise",
        headers=f.h("supplier1"),
        json={"values": [{"lot_id": s.lot_id, "value": {"amount": "1.00", "currency": "UAH"}}]},
    )
    assert rival.status_code == 404  # nobody revises another supplier's bid
    closed = ok(f.c.post(f"/api/v1/tenders/{s.tender_id}/close-negotiation", headers=f.h("approver")))
    assert closed["status"] == "active.qualification"
    late = f.c.post(
        f"/api/v1/bids/{first}/revise",
        headers=f.h("supplier0"),
        json={"values": [{"lot_id": s.lot_id, "value": {"amount": "1.00", "currency": "UAH"}}]},
    )
    assert late.status_code == 409
    _evaluate_all(s)
    _award_best(s)
    return s, "supplier1", "760000.00"


def run_limited(f: Flow) -> Outcome:
    """A direct award on a listed justification."""
    s = draft(
        f,
        "limited",
        justification="extreme_urgency",
        justification_details="Air-defence interceptors lost in the attack of 1 March must be replaced now.",
    )
    f.publish(s.tender_id, "limited")
    assert s.state() == "active.qualification"
    supplier = f.w["supplier2"].organization_id
    ok(
        f.c.post(
            f"/api/v1/tenders/{s.tender_id}/lots/{s.lot_id}/award",
            json={
                "supplier_id": supplier,
                "value": {"amount": "450000.00", "currency": "UAH"},
                "rationale": "sole qualified manufacturer",
            },
            headers=f.h("approver"),
        ),
        201,
    )
    return s, "supplier2", "450000.00"


RUNS: dict[str, Callable[[Flow], Outcome]] = {
    "open": run_open,
    "selective": run_selective,
    "negotiated": run_negotiated,
    "limited": run_limited,
}


@pytest.mark.parametrize("procedure", sorted(RUNS))
def test_each_procedure_runs_from_draft_to_award(
    procedure: str, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene, winner, amount = RUNS[procedure](f)
    tender = scene.tender()
    assert (tender["procedure"], tender["status"], tender["rulebook_version"]) == (
        procedure,
        "active.awarded",
        "2025.1",
    )
    assert [lot["status"] for lot in tender["lots"]] == ["awarded"]
    awards = ok(client.get(f"/api/v1/tenders/{scene.tender_id}/awards"))
    assert [(a["supplier_id"], a["value"]["amount"], a["status"]) for a in awards] == [
        (world[winner].organization_id, amount, "active")
    ]
    assert awards[0]["standstill_end"] > awards[0]["decided_at"] or procedure == "limited"
    events = ok(client.get(f"/api/v1/tenders/{scene.tender_id}/events", headers=world["auditor"].headers))["data"]
    commands = [e["command"] for e in events]
    assert commands[:2] == ["create_tender", "publish_tender"]
    assert commands[-4:] == ["award", "create_contract", "award", "award_lots"]  # award, its contract, lot, tender
    assert all(e["payload_hash"] and len(e["payload_hash"]) == 64 for e in events)


@pytest.mark.parametrize(("justification", "field"), [(None, "justification"), ("cheaper", "justification")])
def test_a_limited_procedure_without_a_listed_justification_cannot_be_published(
    justification: str | None, field: str, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = draft(f, "limited", justification=justification)
    resp = client.post(f"/api/v1/tenders/{scene.tender_id}/publish", json={}, headers=world["approver"].headers)
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["code"] == "tender.rules_not_met"
    assert field in [e["field"] for e in problem["errors"]]
    assert scene.state() == "draft"


def test_a_competitive_procedure_may_not_carry_a_direct_award_justification(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = draft(f, "open", justification="extreme_urgency")
    mins = f.minimum("open")
    resp = client.post(
        f"/api/v1/tenders/{scene.tender_id}/publish",
        headers=world["approver"].headers,
        json={"enquiry_end": mins["enquiry_end"], "tender_end": mins["tender_end"]},
    )
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["justification"]

"""Cancelling a tender: open lots go with it; an awarded lot must first lose its award."""

from __future__ import annotations

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.world import World


def test_cancelling_a_tender_with_an_awarded_lot_is_refused_until_the_award_is_cancelled(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.to_tendering("open")
    f.bid(tid, "supplier0", "900000.00")
    f.open(tid)
    f.evaluate_all(tid)
    award = f.award_best(tid)[0]
    refused = client.post(
        f"/api/v1/tenders/{tid}/cancel", json={"reason": "no longer needed"}, headers=world["approver"].headers
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "cancel their awards first" in refused.json()["detail"]
    assert f.tender(tid)["status"] == "active.awarded"
    ok(
        client.post(
            f"/api/v1/awards/{award['id']}/cancel",
            json={"reason": "budget withdrawn"},
            headers=world["approver"].headers,
        )
    )
    cancelled = ok(
        client.post(
            f"/api/v1/tenders/{tid}/cancel", json={"reason": "budget withdrawn"}, headers=world["approver"].headers
        )
    )
    assert cancelled["status"] == "cancelled"
    assert [lot["status"] for lot in cancelled["lots"]] == ["cancelled"]
    contracts = ok(client.get(f"/api/v1/contracts?tender_id={tid}"))["data"]
    assert [c["status"] for c in contracts] == ["cancelled"]


def test_nul_characters_are_refused_on_every_engine(client: TestClient, world: World) -> None:
    body = tender_body("open", title="Ammunition\x00")
    resp = client.post("/api/v1/tenders", json=body, headers=world["buyer"].headers)
    assert resp.status_code == 422
    assert "NUL" in resp.text
    listed = ok(client.get("/api/v1/tenders", headers=world["buyer"].headers))["data"]
    assert listed == []


def test_a_draft_cancelled_before_publication_stays_private(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    draft = f.create("open")
    ok(
        client.post(
            f"/api/v1/tenders/{draft['id']}/cancel", json={"reason": "not needed after all"}, headers=f.h("approver")
        )
    )

    anonymous = client.get(f"/api/v1/tenders/{draft['id']}")
    rival = client.get(f"/api/v1/tenders/{draft['id']}", headers=f.h("supplier0"))
    listed = client.get("/api/v1/tenders", params={"status": "cancelled"})
    page = client.get(f"/tenders/{draft['id']}")
    releases = client.get("/api/v1/ocds/releases").text
    own = ok(client.get(f"/api/v1/tenders/{draft['id']}", headers=f.h("buyer")))

    assert anonymous.status_code == 404
    assert rival.status_code == 404
    assert draft["id"] not in {t["id"] for t in listed.json()["data"]}
    assert page.status_code == 404
    assert draft["id"] not in releases  # never in open data or the log
    assert own["status"] == "cancelled"
    assert own["published_at"] is None

"""Concluding a framework agreement from an awarded framework tender, through HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import ok
from support.framework_flows import FrameworkFlow, at, framework_body, price
from support.world import World


def test_framework_tender_awarded_to_three_bids_is_concluded_after_standstill(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid, awards = f.awarded(3)
    assert len(awards) == 3
    assert f.tender(tid)["status"] == "active.awarded"

    early = f.conclude(tid, status=422)
    assert early["code"] == "framework.standstill"
    assert at(early["standstill_end"]) == at(awards[0]["standstill_end"])

    f.after_standstill(awards)
    fw = f.conclude(tid)
    assert fw["status"] == "active"
    assert fw["tender_id"] == tid
    assert fw["max_value"] == {"amount": "1000000.00", "currency": "UAH"}
    assert fw["remaining_value"]["amount"] == "1000000.00"
    assert [(p["supplier_id"], p["position"]) for p in fw["parties"]] == [
        (f.supplier("supplier1"), 1),
        (f.supplier("supplier2"), 2),
        (f.supplier("supplier0"), 3),
    ]
    ammo, drone = f.items(fw)
    # Each party's bid for the lot is spread equally over the lot's two lines, then per unit.
    assert price(fw, f.supplier("supplier1"), ammo) == Decimal("4.25")
    assert price(fw, f.supplier("supplier1"), drone) == Decimal("850.00")
    assert price(fw, f.supplier("supplier0"), drone) == Decimal("900.00")
    assert {Decimal(c["remaining_quantity"]) for c in fw["catalogue"] if c["item_id"] == ammo} == {100000}
    assert fw["allowed_commands"] == ["expire_framework", "place_call_off", "terminate_framework"]

    tender = f.tender(tid)
    assert tender["status"] == "complete"
    assert tender["lots"][0]["status"] == "complete"
    listed = ok(client.get("/api/v1/frameworks", params={"tender_id": tid}))["data"]
    assert [x["id"] for x in listed] == [fw["id"]]
    assert f.framework(fw["id"])["catalogue"] == fw["catalogue"]


def test_concluding_twice_is_refused(client: TestClient, world: World, clock: FixedClock, database: Database) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid, awards = f.awarded(3)
    f.after_standstill(awards)
    f.conclude(tid)
    again = f.conclude(tid, status=409)
    assert again["code"] == "state.invalid_transition"
    assert again["current_state"] == "complete"


def test_framework_longer_than_the_rulebook_allows_is_refused(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid, awards = f.awarded(3)
    f.after_standstill(awards)
    too_long = f.conclude(tid, years=8, status=422)
    assert too_long["code"] == "framework.too_long"
    assert too_long["max_duration_years"] == 7
    past = ok(
        client.post(
            f"/api/v1/tenders/{tid}/conclude-framework",
            json={"end": (clock.now() - timedelta(days=1)).isoformat()},
            headers=world["approver"].headers,
        ),
        422,
    )
    assert past["errors"] == [{"field": "end", "message": "must be later than now"}]


def test_two_parties_are_too_few_for_a_framework_with_several(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid, awards = f.awarded(2)
    f.after_standstill(awards)
    refused = f.conclude(tid, status=422)
    assert refused["code"] == "framework.too_few_parties"
    assert refused["min_parties"] == 3


def test_a_single_party_framework_may_be_concluded(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded(1)
    assert [p["supplier_id"] for p in fw["parties"]] == [f.supplier("supplier1")]


def test_only_an_approver_of_the_buyer_concludes(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid, awards = f.awarded(3)
    f.after_standstill(awards)
    end = (clock.now() + timedelta(days=365)).isoformat()
    for who, status in (("buyer", 403), ("other_approver", 403), ("supplier1", 403)):
        resp = client.post(f"/api/v1/tenders/{tid}/conclude-framework", json={"end": end}, headers=f.h(who))
        assert resp.status_code == status, (who, resp.text)
    anonymous = client.post(f"/api/v1/tenders/{tid}/conclude-framework", json={"end": end})
    assert anonymous.status_code == 401


def test_an_open_tender_does_not_become_a_framework(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    tid = f.to_tendering("open")
    f.bid(tid, "supplier0", "900000.00")
    f.open(tid)
    f.evaluate_all(tid)
    f.award_best(tid)
    refused = f.conclude(tid, status=422)
    assert refused["code"] == "framework.wrong_procedure"


def test_a_framework_tender_still_in_qualification_is_not_concluded(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    t = ok(client.post("/api/v1/tenders", json=framework_body(), headers=f.h("buyer")), 201)
    refused = f.conclude(t["id"], status=409)
    assert refused["current_state"] == "draft"

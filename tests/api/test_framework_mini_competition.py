"""Mini-competition call-offs: a draft tender among the framework's parties, run through the normal flow."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import ok
from support.framework_flows import FrameworkFlow
from support.world import World


def test_mini_competition_is_a_draft_tender_that_only_framework_parties_may_bid_on(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, drone = f.items(fw)
    call_off = ok(
        f.call_off(
            fw["id"],
            method="mini_competition",
            lines=[{"item_id": ammo, "quantity": "2000"}, {"item_id": drone, "quantity": "20"}],
        ),
        201,
    )
    assert call_off["method"] == "mini_competition"
    assert call_off["contract_id"] is None
    assert call_off["supplier_id"] is None
    assert call_off["value"]["amount"] == "27000.00"  # 2000 x 4.50 + 20 x 900.00: the highest party prices

    tid = call_off["tender_id"]
    draft = f.tender(tid, "buyer")
    assert draft["status"] == "draft"
    assert draft["procedure"] == "framework.mini-competition"
    assert draft["framework_id"] == fw["id"]
    assert draft["value"] == {"amount": "27000.00", "currency": "UAH"}
    assert [(i["cpv"], Decimal(i["quantity"])) for i in draft["items"]] == [("35330000-6", 2000), ("35613000-4", 20)]
    assert client.get(f"/api/v1/tenders/{tid}").status_code == 404  # drafts are not public

    published = f.publish(tid, "framework.mini-competition")
    assert published["status"] == "active.tendering"
    f.bid(tid, "supplier2", "25000.00")
    f.bid(tid, "supplier1", "26000.00")
    lot_id = published["lots"][0]["id"]
    outsider = client.post(
        f"/api/v1/tenders/{tid}/bids",
        headers=f.h("supplier3"),
        json={"values": [{"lot_id": lot_id, "value": {"amount": "1.00", "currency": "UAH"}}]},
    )
    assert outsider.status_code == 403
    assert outsider.json()["code"] == "bid.not_invited"

    assert f.open(tid)["status"] == "active.qualification"
    f.evaluate_all(tid)
    awards = f.award_best(tid)
    assert awards[0]["supplier_id"] == f.supplier("supplier2")
    assert f.tender(tid)["status"] == "active.awarded"
    with database.unit_of_work(write=False) as s:
        contract = s.scalars(select(Contract).where(Contract.tender_id == tid)).one()
        assert (contract.status, contract.supplier_id, contract.value_amount) == (
            "pending",
            f.supplier("supplier2"),
            Decimal("25000.00"),
        )

    after = f.framework(fw["id"])
    assert after["called_off_value"]["amount"] == "27000.00"


def test_a_mini_competition_is_prepared_by_a_buyer(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    refused = ok(
        f.call_off(fw["id"], "approver", method="mini_competition", lines=[{"item_id": ammo, "quantity": "10"}]), 403
    )
    assert refused["code"] == "auth.role_forbidden"


def test_a_cancelled_mini_competition_gives_its_quantities_back(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    call_off = ok(f.call_off(fw["id"], method="mini_competition", lines=[{"item_id": ammo, "quantity": "100000"}]), 201)
    full = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "1"}]), 422
    )
    assert full["code"] == "framework.quantity_exceeded"
    ok(
        client.post(
            f"/api/v1/tenders/{call_off['tender_id']}/cancel", json={"reason": "need changed"}, headers=f.h("approver")
        )
    )
    ok(f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "1"}]), 201)


def test_a_mini_competition_competes_on_the_frameworks_award_method_and_weights(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    weights = {"price": "0.5", "quality": "0.5"}
    rated = {"award_criteria": "ratedCriteria", "award_method": "best_value", "award_weights": weights}
    fw = f.concluded(extra=rated)
    ammo, _ = f.items(fw)
    call_off = ok(f.call_off(fw["id"], method="mini_competition", lines=[{"item_id": ammo, "quantity": "100"}]), 201)
    draft = f.tender(call_off["tender_id"], "buyer")
    assert (draft["award_criteria"], draft["award_method"]) == ("ratedCriteria", "best_value")
    assert {k: Decimal(v) for k, v in draft["award_weights"].items()} == {k: Decimal(v) for k, v in weights.items()}

    plain = FrameworkFlow(client, world, clock, database).concluded()  # priceOnly: the default method, no weights
    ammo, _ = f.items(plain)
    call_off = ok(f.call_off(plain["id"], method="mini_competition", lines=[{"item_id": ammo, "quantity": "10"}]), 201)
    draft = f.tender(call_off["tender_id"], "buyer")
    assert (draft["award_criteria"], draft["award_weights"]) == ("priceOnly", None)

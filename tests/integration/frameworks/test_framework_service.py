"""The frameworks service against a real database: tie-breaks, expiry guards, usage, lots without award."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import SCHEDULER
from quartermaster.codelists import load_codelists
from quartermaster.db.tx import Database
from quartermaster.errors import InvalidTransition, RuleViolation
from quartermaster.frameworks import call_offs, service
from quartermaster.frameworks.schemas import CallOffCreate
from quartermaster.types import FixedClock
from support.flows import ITEM, ok
from support.framework_flows import DRONE, FrameworkFlow, at
from support.world import World

EQUAL = {"supplier1": "850000.00", "supplier2": "850000.00", "supplier0": "900000.00"}


def _order(supplier_id: str, item_id: str, reason: str | None = None) -> CallOffCreate:
    return CallOffCreate.model_validate(
        {
            "method": "direct_order",
            "ordering_unit": "47th Mechanised Brigade",
            "receiver": "Depot 3",
            "supplier_id": supplier_id,
            "reason": reason,
            "lines": [{"item_id": item_id, "quantity": "10"}],
        }
    )


def test_equal_prices_go_to_the_better_ranked_party(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded(prices=EQUAL)  # supplier1 bid first, so it ranks above supplier2 at the same price
    ammo, _ = f.items(fw)
    assert [p["supplier_id"] for p in fw["parties"]][:2] == [f.supplier("supplier1"), f.supplier("supplier2")]
    lists = load_codelists(None)
    with database.unit_of_work() as s, pytest.raises(RuleViolation) as refused:
        call_offs.place_call_off(
            s,
            actor=world["buyer"].actor,
            now=clock.now(),
            framework_id=fw["id"],
            spec=_order(f.supplier("supplier2"), ammo),
            lists=lists,
        )
    assert refused.value.code == "framework.not_cheapest_party"
    assert refused.value.fields["cheapest_supplier_id"] == f.supplier("supplier1")
    with database.unit_of_work() as s:
        placed = call_offs.place_call_off(
            s,
            actor=world["buyer"].actor,
            now=clock.now(),
            framework_id=fw["id"],
            spec=_order(f.supplier("supplier1"), ammo),
            lists=lists,
        )
        assert placed.value_amount == Decimal("42.50")


def test_expiry_is_due_exactly_at_the_end_and_not_before(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    end = at(fw["end"])
    with database.unit_of_work() as s:
        assert service.due_framework_expiries(s, now=end - timedelta(microseconds=1), limit=10) == []
        assert service.due_framework_expiries(s, now=end, limit=10) == [(end, "expire_framework", fw["id"])]
        with pytest.raises(InvalidTransition):
            service.expire_framework(s, actor=SCHEDULER, now=end - timedelta(seconds=1), object_id=fw["id"])
    with database.unit_of_work() as s:
        assert service.expire_framework(s, actor=SCHEDULER, now=end, object_id=fw["id"]).status == "expired"
    with database.unit_of_work() as s, pytest.raises(InvalidTransition):
        service.expire_framework(s, actor=SCHEDULER, now=end, object_id=fw["id"])


def test_usage_sums_quantities_and_value_of_standing_call_offs(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, drone = f.items(fw)
    s1 = f.supplier("supplier1")
    ok(f.call_off(fw["id"], supplier_id=s1, lines=[{"item_id": ammo, "quantity": "10"}]), 201)
    ok(
        f.call_off(
            fw["id"], supplier_id=s1, lines=[{"item_id": ammo, "quantity": "5"}, {"item_id": drone, "quantity": "2"}]
        ),
        201,
    )
    with database.unit_of_work(write=False) as s:
        framework = service.get_framework(s, fw["id"])
        used = call_offs.usage(s, framework)
        assert used.value == Decimal("42.50") + Decimal("21.25") + Decimal("1700.00")
        assert used.quantities == {ammo: Decimal(15), drone: Decimal(2)}
        assert used.remaining(framework) == {ammo: Decimal(99985), drone: Decimal(498)}


def test_a_lot_without_award_stays_out_of_the_framework(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    body = {
        "title": "Two-lot framework",
        "procedure": "framework",
        "category": "goods",
        "award_criteria": "priceOnly",
        "lots": [
            {"title": "Ammunition", "value": {"amount": "500000.00", "currency": "UAH"}, "items": [ITEM]},
            {"title": "Drones", "value": {"amount": "500000.00", "currency": "UAH"}, "items": [DRONE]},
        ],
    }
    tid = ok(client.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)["id"]
    f.advance_to(f.publish(tid, "framework")["enquiry_end"])
    for supplier, amount in (("supplier0", "450000.00"), ("supplier1", "440000.00"), ("supplier2", "460000.00")):
        f.bid(tid, supplier, amount, lot=0)
    f.open(tid)
    f.evaluate_all(tid, lot=0)
    drones_lot = f.tender(tid)["lots"][1]["id"]
    if f.tender(tid)["lots"][1]["status"] == "active":
        ok(
            client.post(
                f"/api/v1/tenders/{tid}/lots/{drones_lot}/unsuccessful",
                json={"reason": "no bids"},
                headers=f.h("approver"),
            )
        )
    awards = f.award_top(tid, 3)
    f.after_standstill(awards)
    fw = f.conclude(tid)
    assert {c["cpv"] for c in fw["catalogue"]} == {ITEM["cpv"]}
    assert len(fw["catalogue"]) == 3
    tender = f.tender(tid)
    assert tender["status"] == "complete"
    assert [lot["status"] for lot in tender["lots"]] == ["complete", "unsuccessful"]

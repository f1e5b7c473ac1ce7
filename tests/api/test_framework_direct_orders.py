"""Direct-order call-offs under a framework agreement, through HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fastapi.testclient import TestClient

from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import ok
from support.framework_flows import FrameworkFlow
from support.world import World


@dataclass
class Line:
    """A contract line as stored."""

    item_id: str | None
    quantity: Decimal
    unit_price: Decimal


@dataclass
class Stored:
    """The stored facts of a contract this test checks."""

    status: str
    framework_id: str | None
    tender_id: str | None
    buyer_id: str
    supplier_id: str
    value_amount: Decimal
    not_before: datetime | None
    items: list[Line]


def _contract(database: Database, contract_id: str) -> Stored:
    with database.unit_of_work(write=False) as s:
        c = s.get(Contract, contract_id)
        assert c is not None
        return Stored(
            c.status,
            c.framework_id,
            c.tender_id,
            c.buyer_id,
            c.supplier_id,
            c.value_amount,
            c.not_before,
            [Line(i.item_id, i.quantity, i.unit_price) for i in c.items],
        )


def test_direct_order_creates_a_pending_contract_at_catalogue_prices(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, drone = f.items(fw)
    s1 = f.supplier("supplier1")
    call_off = ok(
        f.call_off(
            fw["id"],
            supplier_id=s1,
            lines=[{"item_id": ammo, "quantity": "1000"}, {"item_id": drone, "quantity": "10"}],
        ),
        201,
    )
    assert call_off["method"] == "direct_order"
    assert call_off["supplier_id"] == s1
    assert call_off["value"] == {"amount": "12750.00", "currency": "UAH"}  # 1000 x 4.25 + 10 x 850.00
    assert call_off["ordering_unit"] == "92nd Separate Assault Brigade"
    assert call_off["tender_id"] is None

    contract = _contract(database, call_off["contract_id"])
    assert contract.status == "pending"
    assert contract.framework_id == fw["id"]
    assert contract.tender_id is None
    assert contract.supplier_id == s1
    assert contract.buyer_id == world.buyer_org
    assert contract.value_amount == Decimal("12750.00")
    assert contract.not_before == clock.now()
    assert [(i.item_id, i.quantity, i.unit_price) for i in contract.items] == [
        (ammo, Decimal(1000), Decimal("4.25")),
        (drone, Decimal(10), Decimal("850.00")),
    ]

    after = f.framework(fw["id"])
    assert after["called_off_value"]["amount"] == "12750.00"
    assert after["remaining_value"]["amount"] == "987250.00"
    assert {Decimal(c["remaining_quantity"]) for c in after["catalogue"] if c["item_id"] == ammo} == {99000}


def test_an_approver_may_also_place_a_direct_order(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    ok(
        f.call_off(
            fw["id"], "approver", supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "5"}]
        ),
        201,
    )


def test_call_off_beyond_the_remaining_quantity_is_refused(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    s1 = f.supplier("supplier1")
    ok(f.call_off(fw["id"], supplier_id=s1, lines=[{"item_id": ammo, "quantity": "60000"}]), 201)
    over = ok(f.call_off(fw["id"], supplier_id=s1, lines=[{"item_id": ammo, "quantity": "40001"}]), 422)
    assert over["code"] == "framework.quantity_exceeded"
    assert {k: Decimal(v) for k, v in over["remaining"].items()} == {ammo: Decimal(40000)}
    ok(f.call_off(fw["id"], supplier_id=s1, lines=[{"item_id": ammo, "quantity": "40000"}]), 201)


def test_call_offs_beyond_the_framework_value_are_refused(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    # The tender was estimated at 880,000 while the parties bid 850,000-900,000.
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded(value="880000.00")
    ammo, drone = f.items(fw)
    half = [{"item_id": ammo, "quantity": "50000"}, {"item_id": drone, "quantity": "250"}]
    first = ok(
        f.call_off(
            fw["id"], supplier_id=f.supplier("supplier0"), lines=half, reason="compatibility_with_existing_equipment"
        ),
        201,
    )
    assert first["value"]["amount"] == "450000.00"
    over = ok(
        f.call_off(
            fw["id"], supplier_id=f.supplier("supplier0"), lines=half, reason="compatibility_with_existing_equipment"
        ),
        422,
    )
    assert over["code"] == "framework.value_exceeded"
    assert over["remaining_value"] == "430000.00"
    assert f.framework(fw["id"])["called_off_value"]["amount"] == "450000.00"


def test_direct_order_must_go_to_the_party_with_the_lowest_catalogue_price(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    lines = [{"item_id": ammo, "quantity": "1000"}]
    refused = ok(f.call_off(fw["id"], supplier_id=f.supplier("supplier0"), lines=lines), 422)
    assert refused["code"] == "framework.not_cheapest_party"
    assert refused["cheapest_supplier_id"] == f.supplier("supplier1")
    assert refused["cheapest_value"] == "4250.00"
    assert refused["reasons"] == ["only_party_able_to_deliver_in_time", "compatibility_with_existing_equipment"]

    unlisted = ok(f.call_off(fw["id"], supplier_id=f.supplier("supplier0"), lines=lines, reason="we like them"), 422)
    assert unlisted["errors"][0]["field"] == "reason"

    justified = ok(
        f.call_off(
            fw["id"], supplier_id=f.supplier("supplier0"), lines=lines, reason="only_party_able_to_deliver_in_time"
        ),
        201,
    )
    assert justified["reason"] == "only_party_able_to_deliver_in_time"
    assert justified["value"]["amount"] == "4500.00"
    assert _contract(database, justified["contract_id"]).items[0].unit_price == Decimal("4.50")
    events = ok(client.get("/api/v1/events", headers=world["auditor"].headers))["data"]
    placed = [e for e in events if e["command"] == "place_call_off"]
    assert [e["payload"]["reason"] for e in placed] == ["only_party_able_to_deliver_in_time"]


def test_direct_order_names_a_party_offering_the_items(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    outsider = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier3"), lines=[{"item_id": ammo, "quantity": "1"}]), 422
    )
    assert outsider["errors"][0]["field"] == "supplier_id"
    missing = ok(f.call_off(fw["id"], lines=[{"item_id": ammo, "quantity": "1"}]), 422)
    assert missing["errors"][0]["field"] == "supplier_id"
    unknown = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": "0" * 32, "quantity": "1"}]), 422
    )
    assert unknown["errors"] == [{"field": "lines.0.item_id", "message": "not an item of this framework"}]
    zero = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "0"}]), 422
    )
    assert zero["errors"][0]["field"] == "lines.0.quantity"


def test_only_the_buyers_staff_place_call_offs(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    body = {"supplier_id": f.supplier("supplier1"), "lines": [{"item_id": ammo, "quantity": "1"}]}
    for who in ("other_buyer", "supplier1", "evaluator", "auditor"):
        assert f.call_off(fw["id"], who, **body).status_code == 403, who


def test_call_off_details_are_shown_only_to_those_entitled(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    ok(f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "7"}]), 201)
    url = f"/api/v1/frameworks/{fw['id']}/call-offs"
    public = ok(client.get(url))["data"][0]
    assert public["ordering_unit"] is None
    assert public["receiver"] is None
    assert public["value"] is None
    assert public["lines"] == [{"item_id": ammo, "quantity": None, "unit_price": {"amount": "4.25", "currency": "UAH"}}]
    for who in ("buyer", "auditor", "supplier1"):
        full = ok(client.get(url, headers=f.h(who)))["data"][0]
        assert full["receiver"] == "Brigade logistics point", who
        assert Decimal(full["lines"][0]["quantity"]) == 7
    assert ok(client.get(url, headers=f.h("supplier2")))["data"][0]["receiver"] is None


def test_a_retried_call_off_with_the_same_key_orders_once(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    body = {
        "method": "direct_order",
        "ordering_unit": "3rd Assault Brigade",
        "receiver": "Depot 7",
        "supplier_id": f.supplier("supplier1"),
        "lines": [{"item_id": ammo, "quantity": "100"}],
    }
    headers = {**f.h("buyer"), "Idempotency-Key": "order-42"}
    first = ok(client.post(f"/api/v1/frameworks/{fw['id']}/call-offs", json=body, headers=headers), 201)
    again = client.post(f"/api/v1/frameworks/{fw['id']}/call-offs", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert len(ok(client.get(f"/api/v1/frameworks/{fw['id']}/call-offs"))["data"]) == 1

"""From award to signed contract through HTTP: standstill, unit prices, both signatures, the tender completes."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import ok
from support.world import World


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """A contract flow on the test app."""
    return ContractFlow(client, world, clock, database)


def test_award_signature_after_standstill_completes_the_tender(cf: ContractFlow, world: World) -> None:
    contract = cf.awarded()
    cid, tid = contract["id"], contract["tender_id"]
    assert contract["status"] == "pending"
    assert contract["supplier_id"] == world["supplier1"].organization_id
    assert contract["buyer_id"] == world.buyer_org
    assert contract["value"] == {"amount": "100000.00", "currency": "UAH"}
    assert contract["items"][0]["unit_price"] == {"amount": "100.00", "currency": "UAH"}
    assert contract["not_before"] is not None

    refused = cf.c.post(f"/api/v1/contracts/{cid}/sign", headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "contract.standstill"
    assert datetime.fromisoformat(refused.json()["not_before"]) == datetime.fromisoformat(contract["not_before"])
    assert cf.contract(cid) == contract  # the refusal changed nothing

    cf.advance_to(contract["not_before"])
    half = cf.sign(cid, "approver")
    assert half["status"] == "pending"
    assert half["buyer_signed_by"] == world["approver"].actor.user_id
    assert half["supplier_signed_by"] is None
    assert cf.tender(tid)["status"] == "active.awarded"

    again = cf.c.post(f"/api/v1/contracts/{cid}/sign", headers=cf.h("approver2"))
    assert again.status_code == 409
    assert again.json()["code"] == "contract.already_signed"
    assert cf.contract(cid) == half

    signed = cf.sign(cid, "supplier1")
    assert signed["status"] == "active"
    assert signed["date_signed"] == signed["supplier_signed_at"]
    assert signed["signed_value"] == {"amount": "100000.00", "currency": "UAH"}
    assert signed["items"][0]["original_unit_price"] == {"amount": "100.00", "currency": "UAH"}
    tender = cf.tender(tid)
    assert tender["status"] == "complete"
    assert [lot["status"] for lot in tender["lots"]] == ["complete"]

    events = ok(cf.c.get(f"/api/v1/tenders/{tid}/events", headers=world["auditor"].headers))["data"]
    commands = [e["command"] for e in events]
    assert commands[-4:] == ["sign_contract", "sign_contract", "complete_lot", "complete_tender"]
    assert "create_contract" in commands


def test_contract_read_carries_its_version_as_etag(cf: ContractFlow) -> None:
    contract = cf.awarded()
    resp = cf.c.get(f"/api/v1/contracts/{contract['id']}")
    assert resp.headers["ETag"] == f'"v{contract["version"]}"'
    cf.advance_to(contract["not_before"])
    stale = cf.c.post(f"/api/v1/contracts/{contract['id']}/sign", headers={**cf.h("approver"), "If-Match": '"v99"'})
    assert stale.status_code == 412
    signed = cf.c.post(
        f"/api/v1/contracts/{contract['id']}/sign", headers={**cf.h("approver"), "If-Match": resp.headers["ETag"]}
    )
    assert signed.status_code == 200
    assert signed.headers["ETag"] == f'"v{signed.json()["version"]}"'
    assert signed.json()["version"] > contract["version"]


def test_unit_prices_must_add_up_to_the_contract_value(cf: ContractFlow) -> None:
    contract = cf.awarded(items=2)
    cid = contract["id"]
    a, b = (i["id"] for i in contract["items"])

    def prices(pa: str, pb: str, currency: str = "UAH") -> dict[str, object]:
        return {
            "items": [
                {"contract_item_id": a, "unit_price": {"amount": pa, "currency": currency}},
                {"contract_item_id": b, "unit_price": {"amount": pb, "currency": currency}},
            ]
        }

    off = cf.c.post(f"/api/v1/contracts/{cid}/unit-prices", json=prices("30.00", "70.01"), headers=cf.h("supplier1"))
    assert off.status_code == 422
    assert off.json()["code"] == "contract.unit_prices_mismatch"
    assert off.json()["errors"][0]["field"] == "items"
    wrong_currency = cf.c.post(
        f"/api/v1/contracts/{cid}/unit-prices", json=prices("30.00", "70.00", "EUR"), headers=cf.h("supplier1")
    )
    assert wrong_currency.status_code == 422
    assert {e["field"] for e in wrong_currency.json()["errors"]} == {
        "items.0.unit_price.currency",
        "items.1.unit_price.currency",
    }
    by_buyer = cf.c.post(f"/api/v1/contracts/{cid}/unit-prices", json=prices("30.00", "70.00"), headers=cf.h("buyer"))
    assert by_buyer.status_code == 403
    by_loser = cf.c.post(
        f"/api/v1/contracts/{cid}/unit-prices", json=prices("30.00", "70.00"), headers=cf.h("supplier0")
    )
    assert by_loser.status_code == 403
    assert by_loser.json()["code"] == "auth.not_party"
    assert cf.contract(cid) == contract

    priced = ok(
        cf.c.post(f"/api/v1/contracts/{cid}/unit-prices", json=prices("30.00", "70.00"), headers=cf.h("supplier1"))
    )
    assert [i["unit_price"]["amount"] for i in priced["items"]] == ["30.00", "70.00"]
    assert priced["value"]["amount"] == "100000.00"

    cf.advance_to(contract["not_before"])
    cf.sign(cid, "supplier1")
    locked = cf.c.post(f"/api/v1/contracts/{cid}/unit-prices", json=prices("40.00", "60.00"), headers=cf.h("supplier1"))
    assert locked.status_code == 409
    assert locked.json()["code"] == "contract.already_signed"
    assert [i["unit_price"]["amount"] for i in cf.contract(cid)["items"]] == ["30.00", "70.00"]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("buyer", "auth.role_forbidden"),
        ("evaluator", "auth.role_forbidden"),
        ("auditor", "auth.role_forbidden"),
        ("other_approver", "auth.not_party"),
        ("supplier0", "auth.not_party"),
    ],
)
def test_signature_by_a_stranger_or_wrong_role_is_forbidden(cf: ContractFlow, who: str, code: str) -> None:
    contract = cf.awarded()
    cf.advance_to(contract["not_before"])
    resp = cf.c.post(f"/api/v1/contracts/{contract['id']}/sign", headers=cf.h(who))
    assert resp.status_code == 403
    assert resp.json()["code"] == code
    assert cf.contract(contract["id"]) == contract


def test_contracts_are_listed_with_filters_and_pages(cf: ContractFlow, world: World) -> None:
    first = cf.awarded()
    second = cf.awarded()
    everything = ok(cf.c.get("/api/v1/contracts", params={"limit": 1}))
    assert len(everything["data"]) == 1
    assert everything["next"] == everything["data"][0]["id"]
    rest = ok(cf.c.get("/api/v1/contracts", params={"limit": 1, "after": everything["next"]}))
    assert {everything["data"][0]["id"], rest["data"][0]["id"]} == {first["id"], second["id"]}
    mine = ok(
        cf.c.get("/api/v1/contracts", params={"supplier_id": world["supplier1"].organization_id, "status": "pending"})
    )
    assert {c["id"] for c in mine["data"]} == {first["id"], second["id"]}
    assert ok(cf.c.get("/api/v1/contracts", params={"supplier_id": world["supplier0"].organization_id}))["data"] == []
    assert ok(cf.c.get("/api/v1/contracts", params={"status": "active"}))["data"] == []
    missing = cf.c.get("/api/v1/contracts/nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "contract.not_found"

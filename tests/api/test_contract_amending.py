"""Amending a signed contract through HTTP: the 10 % market rule, the record of before and after, bad bodies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow, snapshot
from support.flows import ok
from support.world import World


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """A contract flow on the test app."""
    return ContractFlow(client, world, clock, database)


def _market(line: str, price: str, quantity: str) -> dict[str, Any]:
    return {
        "rationale": "market_price_change",
        "description": "steel price index up, see attached quotes",
        "changes": {
            "items": [
                {"contract_item_id": line, "unit_price": {"amount": price, "currency": "UAH"}, "quantity": quantity}
            ]
        },
    }


def test_market_price_amendments_cannot_ratchet_past_ten_percent(cf: ContractFlow, database: Database) -> None:
    contract = cf.signed()  # 1000 × 100.00
    cid, line = contract["id"], contract["items"][0]["id"]
    first = ok(
        cf.c.post(f"/api/v1/contracts/{cid}/amendments", json=_market(line, "106.00", "940"), headers=cf.h("approver")),
        201,
    )
    assert first["number"] == 1
    assert first["value_before"] == {"amount": "100000.00", "currency": "UAH"}
    assert first["value_after"] == {"amount": "99640.00", "currency": "UAH"}
    assert first["before"]["items"][line] == {"quantity": "1000", "unit_price": "100.00"}
    assert first["after"]["items"][line] == {"quantity": "940", "unit_price": "106.00"}
    amended = cf.contract(cid)
    assert amended["value"]["amount"] == "99640.00"
    assert amended["items"][0]["unit_price"]["amount"] == "106.00"
    assert amended["items"][0]["original_unit_price"]["amount"] == "100.00"
    assert amended["signed_value"]["amount"] == "100000.00"

    before = snapshot(database, cid)
    ratchet = cf.c.post(
        f"/api/v1/contracts/{cid}/amendments", json=_market(line, "111.00", "890"), headers=cf.h("approver")
    )  # +4.7 % on the current price, +11 % on the signed one
    assert ratchet.status_code == 422
    assert ratchet.json()["code"] == "amendment.price_cap_exceeded"
    assert ratchet.json()["errors"][0]["field"] == "changes.items.0.unit_price"
    raise_total = cf.c.post(
        f"/api/v1/contracts/{cid}/amendments", json=_market(line, "108.00", "940"), headers=cf.h("approver")
    )
    assert raise_total.status_code == 422
    assert raise_total.json()["code"] == "amendment.total_increased"
    assert snapshot(database, cid) == before

    listed = ok(cf.c.get(f"/api/v1/contracts/{cid}/amendments"))
    assert [(a["number"], a["rationale"]) for a in listed["data"]] == [(1, "market_price_change")]
    assert listed["next"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"rationale": "because", "description": "we would like more money"},
        {"rationale": "price_reduction", "description": "x"},
        {"rationale": "price_reduction", "description": "cheaper", "surprise": 1},
        {
            "rationale": "price_reduction",
            "description": "cheaper",
            "changes": {"items": [{"contract_item_id": "a", "quantity": "-1"}]},
        },
        {
            "rationale": "price_reduction",
            "description": "cheaper",
            "changes": {"items": [{"contract_item_id": "a", "unit_price": {"amount": 1.5, "currency": "uah"}}]},
        },
    ],
    ids=["unknown rationale", "short description", "unknown field", "negative quantity", "bad money"],
)
def test_malformed_amendments_get_problem_details(cf: ContractFlow, body: dict[str, Any]) -> None:
    contract = cf.awarded()
    resp = cf.c.post(f"/api/v1/contracts/{contract['id']}/amendments", json=body, headers=cf.h("approver"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "validation.failed"
    assert cf.contract(contract["id"]) == contract


def test_a_pending_contract_cannot_be_amended(cf: ContractFlow) -> None:
    contract = cf.awarded()
    body = {
        "rationale": "term_extension",
        "description": "rail strike",
        "changes": {"delivery_due": "2027-01-01T00:00:00Z"},
    }
    resp = cf.c.post(f"/api/v1/contracts/{contract['id']}/amendments", json=body, headers=cf.h("approver"))
    assert resp.status_code == 409
    assert resp.json()["current_state"] == "pending"
    assert "sign_contract" in resp.json()["allowed_commands"]


def test_the_amendment_grounds_are_published_in_openapi(client: TestClient) -> None:
    schema = ok(client.get("/openapi.json"))
    rationale = schema["components"]["schemas"]["AmendmentIn"]["properties"]["rationale"]
    assert "market_price_change" in rationale["enum"]
    assert len(rationale["enum"]) == 7

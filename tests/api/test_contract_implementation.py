"""Deliveries, acceptance, payments, completion and termination of a signed contract, through HTTP."""

from __future__ import annotations

from datetime import timedelta
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


def test_delivery_beyond_the_open_quantity_is_refused(cf: ContractFlow, database: Database) -> None:
    cid = cf.signed()["id"]  # one line of 1000 units
    first = cf.deliver(cid, "600")
    assert first["status"] == "pending"
    assert first["number"] == 1
    before = snapshot(database, cid)
    over = cf.deliver(cid, "400.001", status=422)
    assert over["code"] == "delivery.quantity_exceeded"
    assert over["remaining"] == "400"
    assert over["errors"] == [{"field": "quantity", "message": "at most 400"}]
    assert snapshot(database, cid) == before

    rejected = ok(
        cf.c.post(f"/api/v1/deliveries/{first['id']}/reject", json={"reason": "wrong packaging"}, headers=cf.h("buyer"))
    )
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == "wrong packaging"
    whole = cf.deliver(cid, "1000")  # a rejection frees its quantity
    assert whole["number"] == 2
    assert cf.deliver(cid, "0.001", status=422)["code"] == "delivery.quantity_exceeded"
    listed = ok(cf.c.get(f"/api/v1/contracts/{cid}/deliveries", params={"limit": 1}))
    assert [d["id"] for d in listed["data"]] == [first["id"]]
    assert listed["next"] == "1"
    rest = ok(cf.c.get(f"/api/v1/contracts/{cid}/deliveries", params={"after": listed["next"]}))
    assert [d["id"] for d in rest["data"]] == [whole["id"]]
    assert rest["next"] is None


def test_delivery_in_the_future_or_of_a_foreign_line_is_invalid(cf: ContractFlow) -> None:
    cid = cf.signed()["id"]
    line = cf.contract(cid)["items"][0]["id"]
    future = {
        "contract_item_id": line,
        "quantity": "1",
        "delivered_at": (cf.clock.now() + timedelta(hours=1)).isoformat(),
    }
    resp = cf.c.post(f"/api/v1/contracts/{cid}/deliveries", json=future, headers=cf.h("supplier1"))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "delivered_at"
    foreign = {**future, "contract_item_id": "0" * 32, "delivered_at": cf.clock.now().isoformat()}
    resp = cf.c.post(f"/api/v1/contracts/{cid}/deliveries", json=foreign, headers=cf.h("supplier1"))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "contract_item_id"
    assert ok(cf.c.get(f"/api/v1/contracts/{cid}/deliveries"))["data"] == []


def test_payments_may_not_exceed_the_contract_value(cf: ContractFlow, database: Database) -> None:
    cid = cf.signed()["id"]  # value 100000.00
    pending = cf.deliver(cid, "500")
    unaccepted = cf.pay(cid, "1000.00", delivery_id=pending["id"], status=422)
    assert unaccepted["code"] == "payment.delivery_not_accepted"
    cf.accept(pending["id"])
    first = cf.pay(cid, "60000.00", delivery_id=pending["id"])
    assert first["amount"] == {"amount": "60000.00", "currency": "UAH"}
    assert first["number"] == 1
    before = snapshot(database, cid)
    over = cf.pay(cid, "40000.01", status=422)
    assert over["code"] == "payment.exceeds_value"
    assert over["paid"] == "60000.00"
    assert over["value"] == "100000.00"
    assert over["errors"] == [{"field": "amount.amount", "message": "at most 40000.00"}]
    wrong = cf.c.post(
        f"/api/v1/contracts/{cid}/payments",
        headers=cf.h("approver"),
        json={"amount": {"amount": "1.00", "currency": "EUR"}, "paid_at": cf.clock.now().isoformat()},
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "amount.currency"
    assert snapshot(database, cid) == before
    cf.pay(cid, "40000.00", who="approver")
    assert cf.pay(cid, "0.01", status=422)["code"] == "payment.exceeds_value"
    assert [p["amount"]["amount"] for p in ok(cf.c.get(f"/api/v1/contracts/{cid}/payments"))["data"]] == [
        "60000.00",
        "40000.00",
    ]


def test_a_retried_payment_is_recorded_once(cf: ContractFlow) -> None:
    cid = cf.signed()["id"]
    body = {"amount": {"amount": "10.00", "currency": "UAH"}, "paid_at": cf.clock.now().isoformat()}
    headers = {**cf.h("buyer"), "Idempotency-Key": "pay-1"}
    first = cf.c.post(f"/api/v1/contracts/{cid}/payments", json=body, headers=headers)
    second = cf.c.post(f"/api/v1/contracts/{cid}/payments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(ok(cf.c.get(f"/api/v1/contracts/{cid}/payments"))["data"]) == 1


def test_completion_requires_every_line_fully_accepted(cf: ContractFlow, database: Database) -> None:
    cid = cf.signed(items=2)["id"]  # two lines of 1000 units
    d1 = cf.deliver(cid, "1000", item=0)
    d2 = cf.deliver(cid, "1000", item=1)
    cf.accept(d1["id"])
    before = snapshot(database, cid)
    early = cf.c.post(f"/api/v1/contracts/{cid}/complete", headers=cf.h("approver"))
    assert early.status_code == 422
    assert early.json()["code"] == "contract.not_fully_accepted"
    assert early.json()["errors"] == [{"field": "items.1", "message": "0 of 1000 accepted"}]
    assert snapshot(database, cid) == before
    cf.accept(d2["id"])
    done = ok(cf.c.post(f"/api/v1/contracts/{cid}/complete", headers=cf.h("approver")))
    assert done["status"] == "complete"
    assert done["allowed_commands"] == ["record_payment"]
    after_end = cf.deliver(cid, "1", status=409)
    assert after_end["code"] == "state.invalid_transition"
    assert after_end["current_state"] == "complete"
    cf.pay(cid, "100000.00")  # paying after completion is allowed


def test_termination_needs_a_reason_and_ends_implementation(cf: ContractFlow) -> None:
    cid = cf.signed()["id"]
    pending = cf.deliver(cid, "10")
    blank = cf.c.post(f"/api/v1/contracts/{cid}/terminate", json={"reason": " "}, headers=cf.h("approver"))
    assert blank.status_code == 422
    assert cf.contract(cid)["status"] == "active"
    ended = ok(
        cf.c.post(f"/api/v1/contracts/{cid}/terminate", json={"reason": "supplier insolvent"}, headers=cf.h("approver"))
    )
    assert ended["status"] == "terminated"
    assert ended["status_reason"] == "supplier insolvent"
    assert ended["allowed_commands"] == []
    late = cf.accept(pending["id"], status=409)
    assert late["current_state"] == "terminated"
    assert cf.pay(cid, "1.00", status=409)["code"] == "state.invalid_transition"


def _attempts(cid: str, delivery_id: str, line: str, now: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    delivery = {"contract_item_id": line, "quantity": "1", "delivered_at": now}
    payment = {"amount": {"amount": "1.00", "currency": "UAH"}, "paid_at": now}
    amendment = {
        "rationale": "term_extension",
        "description": "late rail transport",
        "changes": {"delivery_due": "2027-01-01T00:00:00Z"},
    }
    return [
        (f"/api/v1/contracts/{cid}/deliveries", "supplier0", delivery),  # another supplier
        (f"/api/v1/contracts/{cid}/deliveries", "buyer", delivery),  # wrong role
        (f"/api/v1/deliveries/{delivery_id}/accept", "other_buyer", None),  # another buyer
        (f"/api/v1/deliveries/{delivery_id}/accept", "supplier1", None),  # the supplier cannot accept its own
        (f"/api/v1/deliveries/{delivery_id}/accept", "approver", None),  # acceptance is the buyer's job
        (f"/api/v1/deliveries/{delivery_id}/reject", "other_buyer", {"reason": "not ours"}),
        (f"/api/v1/contracts/{cid}/payments", "supplier1", payment),
        (f"/api/v1/contracts/{cid}/payments", "other_approver", payment),
        (f"/api/v1/contracts/{cid}/payments", "evaluator", payment),
        (f"/api/v1/contracts/{cid}/amendments", "buyer", amendment),
        (f"/api/v1/contracts/{cid}/amendments", "supplier1", amendment),
        (f"/api/v1/contracts/{cid}/amendments", "other_approver", amendment),
        (f"/api/v1/contracts/{cid}/complete", "buyer", None),
        (f"/api/v1/contracts/{cid}/complete", "other_approver", None),
        (f"/api/v1/contracts/{cid}/terminate", "supplier1", {"reason": "we quit"}),
        (f"/api/v1/contracts/{cid}/terminate", "other_approver", {"reason": "not ours"}),
        (f"/api/v1/contracts/{cid}/sign", "admin", None),
    ]


def test_implementation_commands_by_a_stranger_or_wrong_role_are_forbidden(
    cf: ContractFlow, database: Database
) -> None:
    cid = cf.signed()["id"]
    delivery = cf.deliver(cid, "5")
    before = snapshot(database, cid)
    line = cf.contract(cid)["items"][0]["id"]
    for path, who, body in _attempts(cid, delivery["id"], line, cf.clock.now().isoformat()):
        resp = cf.c.post(path, json=body, headers=cf.h(who)) if body else cf.c.post(path, headers=cf.h(who))
        assert resp.status_code == 403, (path, who, resp.text)
        assert resp.json()["code"] in ("auth.role_forbidden", "auth.not_party"), (path, who)
    assert snapshot(database, cid) == before
    anonymous = cf.c.post(f"/api/v1/contracts/{cid}/complete")
    assert anonymous.status_code == 401

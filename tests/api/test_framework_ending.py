"""How a framework agreement ends: expiry by the scheduler at its end, or termination by an approver."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.scheduler import run_due
from quartermaster.types import FixedClock
from support.flows import ok
from support.framework_flows import FrameworkFlow, at
from support.world import World


def test_the_scheduler_expires_a_framework_once_after_its_end(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    end = at(fw["end"])

    clock.set(end - timedelta(seconds=1))
    assert [a.command for a in run_due(database, clock)] == []
    ok(f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "1"}]), 201)

    clock.set(end)
    late = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "1"}]), 409
    )
    assert late["code"] == "state.invalid_transition"
    assert "ended" in late["detail"]

    clock.set(end + timedelta(hours=1))
    first = run_due(database, clock)
    second = run_due(database, clock)
    assert [(a.command, a.object_id) for a in first] == [("expire_framework", fw["id"])]
    assert second == []
    assert f.framework(fw["id"])["status"] == "expired"
    assert f.framework(fw["id"])["allowed_commands"] == []
    events = ok(client.get("/api/v1/events", headers=world["auditor"].headers))["data"]
    expired = [e for e in events if e["command"] == "expire_framework"]
    assert len(expired) == 1
    assert at(expired[0]["occurred_at"]) == end
    assert expired[0]["state_before"] == "active"
    assert expired[0]["state_after"] == "expired"
    assert ok(client.get("/api/v1/frameworks", params={"status": "expired"}))["data"][0]["id"] == fw["id"]


def test_an_approver_terminates_a_framework_and_call_offs_stop(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = FrameworkFlow(client, world, clock, database)
    fw = f.concluded()
    ammo, _ = f.items(fw)
    url = f"/api/v1/frameworks/{fw['id']}/terminate"
    assert client.post(url, json={"reason": "supplier fraud"}, headers=f.h("buyer")).status_code == 403
    assert client.post(url, json={"reason": "supplier fraud"}, headers=f.h("other_approver")).status_code == 403
    done = ok(client.post(url, json={"reason": "supplier fraud"}, headers=f.h("approver")))
    assert done["status"] == "terminated"
    assert done["status_reason"] == "supplier fraud"
    refused = ok(
        f.call_off(fw["id"], supplier_id=f.supplier("supplier1"), lines=[{"item_id": ammo, "quantity": "1"}]), 409
    )
    assert refused["current_state"] == "terminated"
    assert refused["allowed_commands"] == []
    clock.set(at(fw["end"]) + timedelta(days=1))
    assert run_due(database, clock) == []


def test_an_unknown_framework_is_not_found(client: TestClient, world: World) -> None:
    missing = client.get("/api/v1/frameworks/" + "0" * 32)
    assert missing.status_code == 404
    assert missing.json()["code"] == "framework.not_found"

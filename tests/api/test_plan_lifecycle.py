"""Procurement plans through HTTP: prepare, change with If-Match, publish, cancel, list, and tenders that follow."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import Actor, Role
from quartermaster.db.tx import Database
from quartermaster.errors import PermissionDenied
from quartermaster.plans import service as plans
from quartermaster.types import FixedClock
from support.flows import ok, tender_body
from support.world import World


def plan_body(**extra: Any) -> dict[str, Any]:
    """A valid draft plan."""
    body: dict[str, Any] = {
        "title": "Body armour for 2026",
        "year": 2026,
        "budget_line": "KPKVK 2101020",
        "budget_source": "State budget",
        "procedure": "open",
        "category": "goods",
        "value": {"amount": "25000000.00", "currency": "UAH"},
        "items": [{"description": "Protective gear", "cpv": "18143000-3", "unit": "h87", "quantity": "1500"}],
        "tender_start": "2026-04-01T09:00:00Z",
    }
    body.update(extra)
    return body


def create(client: TestClient, world: World, who: str = "buyer", **extra: Any) -> dict[str, Any]:
    return ok(client.post("/api/v1/plans", json=plan_body(**extra), headers=world[who].headers), 201)  # type: ignore[no-any-return]


def publish(client: TestClient, world: World, plan_id: str, who: str = "approver") -> dict[str, Any]:
    return ok(client.post(f"/api/v1/plans/{plan_id}/publish", headers=world[who].headers))  # type: ignore[no-any-return]


def test_buyer_prepares_a_plan_and_an_approver_publishes_it(client: TestClient, world: World) -> None:
    resp = client.post("/api/v1/plans", json=plan_body(), headers=world["buyer"].headers)
    plan = ok(resp, 201)
    assert resp.headers["Location"] == f"/api/v1/plans/{plan['id']}"
    assert resp.headers["ETag"] == '"v1"'
    assert plan["status"] == "draft"
    assert plan["buyer_id"] == world.buyer_org
    assert plan["cpv_main"] == "18143000-3"  # defaults to the first item's code
    assert plan["items"] == [{"description": "Protective gear", "cpv": "18143000-3", "unit": "H87", "quantity": "1500"}]
    assert plan["value"] == {"amount": "25000000.00", "currency": "UAH"}
    assert plan["allowed_commands"] == ["cancel_plan", "publish_plan", "update_plan"]

    published = publish(client, world, plan["id"])
    assert published["status"] == "published"
    assert published["published_at"] == "2026-03-02T09:00:00Z"
    assert ok(client.get(f"/api/v1/plans/{plan['id']}"))["status"] == "published"

    events = ok(client.get("/api/v1/events", headers=world["auditor"].headers))["data"]
    mine = [(e["command"], e["state_before"], e["state_after"]) for e in events if e["object_id"] == plan["id"]]
    assert mine == [("create_plan", None, "draft"), ("publish_plan", "draft", "published")]


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 404), ("other_buyer", 404), ("supplier0", 404), ("buyer2", 200), ("evaluator", 200), ("auditor", 200)],
)
def test_a_draft_plan_is_seen_only_by_the_buyers_staff_and_auditors(
    client: TestClient, world: World, who: str | None, status: int
) -> None:
    plan = create(client, world)
    resp = client.get(f"/api/v1/plans/{plan['id']}", headers=world[who].headers if who else {})
    assert resp.status_code == status
    listed = ok(client.get("/api/v1/plans", headers=world[who].headers if who else {}))["data"]
    assert [p["id"] for p in listed] == ([plan["id"]] if status == 200 else [])


def test_changing_a_draft_needs_the_current_etag(client: TestClient, world: World) -> None:
    plan = create(client, world)
    url, h = f"/api/v1/plans/{plan['id']}", world["buyer"].headers
    change = {
        "title": "Body armour and helmets",
        "items": [{"description": "Helmets", "cpv": "18143000-3", "unit": "H87", "quantity": "800.5"}],
    }

    missing = client.patch(url, json=change, headers=h)
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition.required"
    stale = client.patch(url, json=change, headers={**h, "If-Match": '"v7"'})
    assert stale.status_code == 412

    resp = client.patch(url, json=change, headers={**h, "If-Match": '"v1"'})
    changed = ok(resp)
    assert resp.headers["ETag"] == '"v2"'
    assert changed["title"] == "Body armour and helmets"
    assert changed["items"][0]["quantity"] == "800.5"
    assert changed["budget_line"] == "KPKVK 2101020"  # untouched fields stay

    publish(client, world, plan["id"])
    refused = client.patch(url, json={"title": "Too late"}, headers={**h, "If-Match": '"v3"'})
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "published"
    assert refused.json()["allowed_commands"] == ["cancel_plan", "complete_plan"]


def test_plan_fields_are_checked_against_code_lists_and_the_rulebook(client: TestClient, world: World) -> None:
    body = plan_body(
        procedure="auction", items=[{"description": "Rations", "cpv": "15897100-4", "unit": "XYZ", "quantity": "10"}]
    )
    resp = client.post("/api/v1/plans", json=body, headers=world["buyer"].headers)
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["code"] == "plan.invalid"
    assert sorted(e["field"] for e in problem["errors"]) == ["cpv_main", "items.0.cpv", "items.0.unit", "procedure"]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("buyer", 403, "auth.role_forbidden"),
        ("evaluator", 403, "auth.role_forbidden"),
        ("other_approver", 404, "plan.not_found"),
        ("supplier0", 404, "plan.not_found"),
    ],
)
def test_only_an_approver_of_the_buyer_publishes(
    client: TestClient, world: World, who: str, status: int, code: str
) -> None:
    plan = create(client, world)
    resp = client.post(f"/api/v1/plans/{plan['id']}/publish", headers=world[who].headers)
    assert resp.status_code == status
    assert resp.json()["code"] == code


def test_the_preparer_may_not_approve_their_own_plan(
    client: TestClient, world: World, database: Database, clock: FixedClock
) -> None:
    plan = create(client, world)
    buyer = world["buyer"].actor
    same_person = Actor(user_id=buyer.user_id, name=buyer.name, role=Role.APPROVER, organization_id=world.buyer_org)
    with database.unit_of_work() as s, pytest.raises(PermissionDenied) as err:
        plans.publish_plan(s, actor=same_person, now=clock.now(), plan_id=plan["id"])
    assert err.value.code == "plan.separation_of_duties"
    assert ok(client.get(f"/api/v1/plans/{plan['id']}", headers=world["buyer"].headers))["status"] == "draft"


def test_cancelling_needs_a_reason_and_happens_once(client: TestClient, world: World) -> None:
    plan = publish(client, world, create(client, world)["id"])
    url, h = f"/api/v1/plans/{plan['id']}/cancel", world["approver"].headers
    assert client.post(url, json={}, headers=h).status_code == 422
    cancelled = ok(client.post(url, json={"reason": "Budget line withdrawn"}, headers=h))
    assert (cancelled["status"], cancelled["status_reason"]) == ("cancelled", "Budget line withdrawn")
    again = client.post(url, json={"reason": "Budget line withdrawn"}, headers=h)
    assert again.status_code == 409
    assert again.json()["code"] == "state.invalid_transition"
    assert ok(client.get(f"/api/v1/plans/{plan['id']}"))["status"] == "cancelled"  # stays public


def test_a_draft_cancelled_before_publication_stays_private(client: TestClient, world: World) -> None:
    plan = create(client, world)
    ok(
        client.post(
            f"/api/v1/plans/{plan['id']}/cancel",
            json={"reason": "Merged into another plan"},
            headers=world["approver"].headers,
        )
    )
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 404


def test_completing_a_published_plan(client: TestClient, world: World) -> None:
    plan = publish(client, world, create(client, world)["id"])
    done = ok(client.post(f"/api/v1/plans/{plan['id']}/complete", headers=world["approver"].headers))
    assert done["status"] == "complete"
    assert done["allowed_commands"] == []


def test_the_list_filters_by_status_buyer_year_and_cpv_and_pages_by_cursor(client: TestClient, world: World) -> None:
    radios = [{"description": "Radios", "cpv": "32236000-6", "unit": "H87", "quantity": "40"}]
    a = publish(client, world, create(client, world)["id"])
    b = publish(client, world, create(client, world, year=2027, items=radios)["id"])
    c = publish(client, world, create(client, world, "other_buyer")["id"], who="other_approver")
    draft = create(client, world)

    def ids(**params: Any) -> set[str]:
        return {p["id"] for p in ok(client.get("/api/v1/plans", params=params))["data"]}

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(year=2027) == {b["id"]}
    assert ids(cpv="3223") == {b["id"]}
    assert ids(buyer_id=world.other_buyer_org) == {c["id"]}
    assert ids(status="draft") == set()
    own = ok(client.get("/api/v1/plans", params={"status": "draft"}, headers=world["buyer"].headers))["data"]
    assert [p["id"] for p in own] == [draft["id"]]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = ok(client.get("/api/v1/plans", params={"limit": 2, **({"after": cursor} if cursor else {})}))
        seen += [p["id"] for p in page["data"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted({a["id"], b["id"], c["id"]})


def test_a_retried_create_with_the_same_key_creates_one_plan(client: TestClient, world: World) -> None:
    h = {**world["buyer"].headers, "Idempotency-Key": "plan-2026-armour"}
    first = client.post("/api/v1/plans", json=plan_body(), headers=h)
    second = client.post("/api/v1/plans", json=plan_body(), headers=h)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert len(ok(client.get("/api/v1/plans", headers=world["buyer"].headers))["data"]) == 1


@pytest.mark.parametrize(("state", "status"), [("draft", 422), ("published", 201), ("cancelled", 422)])
def test_a_tender_may_only_follow_a_published_plan_of_its_buyer(
    client: TestClient, world: World, state: str, status: int
) -> None:
    plan = create(client, world)
    if state != "draft":
        publish(client, world, plan["id"])
    if state == "cancelled":
        ok(
            client.post(
                f"/api/v1/plans/{plan['id']}/cancel", json={"reason": "No funds"}, headers=world["approver"].headers
            )
        )
    resp = client.post("/api/v1/tenders", json=tender_body(plan_id=plan["id"]), headers=world["buyer"].headers)
    assert resp.status_code == status, resp.text
    if status == 201:
        assert resp.json()["plan_id"] == plan["id"]
    else:
        assert resp.json()["code"] == "tender.invalid_plan"
        assert resp.json()["errors"][0]["field"] == "plan_id"


def test_a_tender_may_not_follow_another_buyers_plan(client: TestClient, world: World) -> None:
    plan = publish(client, world, create(client, world, "other_buyer")["id"], who="other_approver")
    resp = client.post("/api/v1/tenders", json=tender_body(plan_id=plan["id"]), headers=world["buyer"].headers)
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"field": "plan_id", "message": "the plan belongs to another buyer"}]

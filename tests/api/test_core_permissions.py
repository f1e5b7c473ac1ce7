"""The permission matrix: each kind of caller x each command endpoint, through HTTP.

Expected cells are derived from data: the roles on each command's state-machine row, whether the command belongs
to the buyer's own staff, and the visibility rules (a draft, and a supplier's pending bid, do not reveal that they
exist). Every cell is sent in a state where the command is otherwise allowed, so the answer is about who asks.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.tenders.service import BUYER_SIDE
from quartermaster.types import FixedClock
from support.core_commands import COMMANDS, ApiCommand, fire
from support.core_scenes import READY, draft, published, snapshot
from support.flows import Flow, ok, tender_body
from support.world import World

PROBLEM = "application/problem+json"

# Callers: the buyer's own staff, suppliers, overseers, strangers, and staff of another buying organization.
CALLERS = [
    "buyer",
    "approver",
    "evaluator",
    "supplier",
    "other_supplier",
    "auditor",
    "admin",
    "anonymous",
    "other_buyer",
    "other_approver",
]


def person(cmd: ApiCommand, caller: str) -> str | None:
    """The user behind a caller column. For commands on supplier0's bid, 'supplier' is its owner."""
    if caller == "anonymous":
        return None
    if caller == "supplier":
        return "supplier0" if cmd.owner_only else "supplier1"
    if caller == "other_supplier":
        return "supplier1" if cmd.owner_only else "supplier3"
    return caller


def expected(cmd: ApiCommand, caller: str, world: World) -> tuple[int, str | None]:
    """The cell: HTTP status and problem code."""
    who = person(cmd, caller)
    if who is None:
        return 401, "auth.unauthenticated"
    p = world[who]
    insider = p.role in BUYER_SIDE and p.organization_id == world.buyer_org
    if cmd.scene == "draft" and cmd.name != "create_tender" and not (insider or p.role is Role.AUDITOR):
        return 404, "tender.not_found"  # drafts do not exist for outsiders
    if p.role not in cmd.roles:
        return 403, "auth.role_forbidden"
    if cmd.owner_only and caller == "other_supplier":
        return 404, "bid.not_found"  # a rival's sealed bid does not exist for you
    if cmd.buyer_side and p.organization_id != world.buyer_org:
        return 403, "auth.not_party"
    return cmd.status, None


def test_the_matrix_has_allowed_and_refused_cells_for_every_command(world: World) -> None:
    for cmd in COMMANDS:
        cells = [expected(cmd, c, world)[0] for c in CALLERS]
        assert any(s < 300 for s in cells), cmd.name
        assert 401 in cells, cmd.name
        assert 403 in cells, cmd.name


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_each_caller_gets_the_answer_the_matrix_gives_for_each_command(
    cmd: ApiCommand, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    build = READY[cmd.scene]
    shared = build(f)
    wrong = []
    for caller in CALLERS:
        status, code = expected(cmd, caller, world)
        scene = build(f) if status < 300 else shared  # a success changes the scene: give it a fresh one
        before = snapshot(scene)
        resp = fire(scene, cmd, person(cmd, caller))
        if resp.status_code != status:
            wrong.append(f"{caller}: expected {status} {code or ''}, got {resp.status_code} {resp.text[:200]}")
            continue
        if code is not None:
            if not resp.headers["content-type"].startswith(PROBLEM) or resp.json()["code"] != code:
                wrong.append(f"{caller}: expected problem {code}, got {resp.text[:200]}")
            if snapshot(scene) != before:
                wrong.append(f"{caller}: a refused command changed the tender or the event log")
    assert not wrong, f"{cmd.name}:\n" + "\n".join(wrong)


def test_the_preparer_may_not_publish_their_own_tender_but_a_second_approver_may(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    t = ok(client.post("/api/v1/tenders", json=tender_body(), headers=world["approver"].headers), 201)
    body = {k: v for k, v in f.minimum("open").items() if k in ("enquiry_end", "tender_end")}
    own = client.post(f"/api/v1/tenders/{t['id']}/publish", json=body, headers=world["approver"].headers)
    assert own.status_code == 403
    assert own.headers["content-type"].startswith(PROBLEM)
    assert own.json()["code"] == "tender.separation_of_duties"
    assert f.tender(t["id"], "buyer")["status"] == "draft"
    other = ok(client.post(f"/api/v1/tenders/{t['id']}/publish", json=body, headers=world["approver2"].headers))
    assert other["status"] == "active.enquiries"


def test_an_approver_who_edited_the_draft_counts_as_its_preparer(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = draft(f)
    edited = client.patch(
        f"/api/v1/tenders/{scene.tender_id}",
        json={"title": "Edited by approver2"},
        headers={**world["approver2"].headers, "If-Match": '"v1"'},
    )
    assert edited.status_code == 200, edited.text
    body = {k: v for k, v in f.minimum("open").items() if k in ("enquiry_end", "tender_end")}
    refused = client.post(f"/api/v1/tenders/{scene.tender_id}/publish", json=body, headers=world["approver2"].headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "tender.separation_of_duties")
    ok(client.post(f"/api/v1/tenders/{scene.tender_id}/publish", json=body, headers=world["approver"].headers))


def test_a_buyer_of_another_organization_cannot_see_or_touch_a_published_tenders_questions(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = published(f)
    assert (
        client.get(f"/api/v1/tenders/{scene.tender_id}/events", headers=world["other_buyer"].headers).json()["code"]
        == "auth.auditor_only"
    )
    assert client.get(f"/api/v1/tenders/{scene.tender_id}/events", headers=world["buyer"].headers).status_code == 200
    assert client.get("/api/v1/events", headers=world["admin"].headers).status_code == 403

"""Refusal of every illegal transition, through HTTP.

For each reachable tender state, a tender is driven there through the API; every command endpoint whose state
guard (read off the state machines) does not allow it is sent by a person whose role would allow it. Each must
answer 409 problem+json naming the current state and the machine's allowed commands, and change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.tenders.models import TENDER_MACHINE
from quartermaster.types import FixedClock
from support.core_commands import COMMANDS, MACHINES, ApiCommand, applicable, fire, statuses
from support.core_scenes import (
    SCENES,
    Scene,
    apply,
    award,
    bid,
    decide,
    evaluate,
    open_bids,
    published,
    scene_qualification,
    scene_tendering,
    snapshot,
    to_deadline,
)
from support.flows import Flow
from support.world import World

PROBLEM = "application/problem+json"


def test_scenes_cover_every_state_of_the_tender_machine() -> None:
    assert set(SCENES) == set(TENDER_MACHINE.states)


def sender(cmd: ApiCommand) -> str:
    """Someone whose role may issue the command: the refusal must come from the state, not the role."""
    if Role.SUPPLIER in cmd.roles:
        return "supplier0" if cmd.owner_only else "supplier1"
    for role, person in ((Role.BUYER, "buyer"), (Role.APPROVER, "approver"), (Role.EVALUATOR, "evaluator")):
        if role in cmd.roles:
            return person
    raise AssertionError(f"no sender for {cmd.name}")


def refusal_problems(resp: Any, command: str) -> list[str]:
    """What is wrong with a response that should be a 409 refusal naming the state and the allowed commands."""
    if resp.status_code != 409 or not resp.headers["content-type"].startswith(PROBLEM):
        return [f"{command}: {resp.status_code} {resp.text[:300]}"]
    body = resp.json()
    machine = MACHINES[body["object_type"]]
    wrong = []
    if body["code"] != "state.invalid_transition" or body["command"] != command:
        wrong.append(f"{command}: code/command {body['code']}/{body['command']}")
    if body["current_state"] not in machine.states:
        wrong.append(f"{command}: current_state {body['current_state']!r} is not a {machine.name} state")
    if body["allowed_commands"] != machine.allowed(body["current_state"]):
        wrong.append(f"{command}: allowed_commands {body['allowed_commands']}")
    return wrong


@pytest.mark.parametrize("state", sorted(SCENES))
def test_every_command_the_state_forbids_is_refused_with_409_and_changes_nothing(
    state: str, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    scene = SCENES[state](Flow(client, world, clock, database))
    assert scene.state() == state
    current = statuses(scene)
    before = snapshot(scene)
    wrong: list[str] = []
    tried = []
    for cmd in COMMANDS:
        if cmd.machine is None or cmd.allowed(current) or not applicable(cmd, scene):
            continue
        tried.append(cmd.name)
        resp = fire(scene, cmd, sender(cmd))
        if state == "draft" and not cmd.buyer_side:
            # A draft is invisible to suppliers: refusing with 409 would reveal that it exists.
            if resp.status_code != 404 or resp.json()["code"] != "tender.not_found":
                wrong.append(f"{cmd.name}: expected 404 on a draft, got {resp.status_code}")
        else:
            wrong += refusal_problems(resp, cmd.name)
            if resp.status_code == 409 and resp.json()["object_type"] == "tender":
                assert resp.json()["current_state"] == state
        if snapshot(scene) != before:
            wrong.append(f"{cmd.name}: the refused command changed the tender or the event log")
            before = snapshot(scene)
    assert statuses(scene) == current
    assert not wrong, "\n".join(wrong)
    assert len(tried) >= 8


# --- refusals by the lot, bid, award and candidacy machines ----------------------------------------------------


def _two_lots_one_awarded(f: Flow) -> Scene:
    s = published(f, lots=2)
    f.advance_to(s.tender()["enquiry_end"])
    s.bid_id = bid(s, "supplier0", "700000.00", lots=[0, 1])
    to_deadline(s)
    open_bids(s)
    evaluate(s, s.bid_id, lot=0)
    s.award_id = award(s, s.bid_id, lot=0)
    return s


def _two_lots_one_unsuccessful(f: Flow) -> Scene:
    s = _two_lots_one_awarded(f)
    f.c.post(f"/api/v1/awards/{s.award_id}/cancel", json={"reason": "error"}, headers=f.h("approver"))
    f.c.post(
        f"/api/v1/tenders/{s.tender_id}/lots/{s.lot_id}/unsuccessful",
        json={"reason": "too dear"},
        headers=f.h("approver"),
    )
    return s


def _withdrawn_bid(f: Flow) -> Scene:
    s = scene_tendering(f)
    f.c.post(f"/api/v1/bids/{s.bid_id}/withdraw", headers=f.h("supplier0"))
    return s


def _cancelled_award(f: Flow) -> Scene:
    s = _two_lots_one_awarded(f)
    f.c.post(f"/api/v1/awards/{s.award_id}/cancel", json={"reason": "error"}, headers=f.h("approver"))
    return s


def _disqualified_bid(f: Flow) -> Scene:
    s = scene_qualification(f)
    f.c.post(f"/api/v1/bids/{s.bid_id}/disqualify", json={"reason": "no licence"}, headers=f.h("approver"))
    return s


def _qualified_candidate(f: Flow) -> Scene:
    s = published(f, "selective")
    s.candidacy_id = apply(s, "supplier0")
    f.advance_to(s.tender()["prequalification_end"])
    decide(s, s.candidacy_id)
    return s


SUB_OBJECT_CASES = [
    # (scene, commands to send, machine that refuses, its state)
    (_two_lots_one_awarded, ["award", "declare_lot_unsuccessful"], "lot", "awarded"),
    (_two_lots_one_unsuccessful, ["award", "declare_lot_unsuccessful"], "lot", "unsuccessful"),
    (_withdrawn_bid, ["amend_bid", "withdraw_bid", "revise_bid"], "bid", "withdrawn"),
    (_disqualified_bid, ["disqualify_bid", "revise_bid"], "bid", "disqualified"),
    (_cancelled_award, ["cancel_award"], "award", "cancelled"),
    (_qualified_candidate, ["qualify_candidate", "reject_candidate"], "candidacy", "qualified"),
]


@pytest.mark.parametrize(
    ("build", "names", "obj", "obj_state"), SUB_OBJECT_CASES, ids=[f"{c[2]}-{c[3]}" for c in SUB_OBJECT_CASES]
)
def test_lot_bid_award_and_candidacy_machines_refuse_commands_their_state_forbids(
    build: Any,
    names: list[str],
    obj: str,
    obj_state: str,
    client: TestClient,
    world: World,
    clock: FixedClock,
    database: Database,
) -> None:
    scene = build(Flow(client, world, clock, database))
    assert statuses(scene)[obj] == obj_state
    before = snapshot(scene)
    by_name = {c.name: c for c in COMMANDS}
    for name in names:
        cmd = by_name[name]
        resp = fire(scene, cmd, sender(cmd))
        assert refusal_problems(resp, name) == []
        body = resp.json()
        assert (body["object_type"], body["current_state"]) == (obj, obj_state), body
        assert body["allowed_commands"] == MACHINES[obj].allowed(obj_state)
        assert snapshot(scene) == before

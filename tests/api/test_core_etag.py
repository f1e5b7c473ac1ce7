"""Optimistic concurrency on updates: ETag out, If-Match in."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.core_scenes import draft, events_count
from support.flows import Flow
from support.world import World

PROBLEM = "application/problem+json"


def _patch(client: TestClient, world: World, tender_id: str, title: str, **headers: str) -> httpx.Response:
    resp: httpx.Response = client.patch(
        f"/api/v1/tenders/{tender_id}", json={"title": title}, headers={**world["buyer"].headers, **headers}
    )
    return resp


def test_patch_needs_if_match_refuses_a_stale_etag_and_accepts_the_current_one(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = draft(f)
    read = client.get(f"/api/v1/tenders/{scene.tender_id}", headers=world["buyer"].headers)
    etag = read.headers["ETag"]
    assert etag == '"v1"'
    events = events_count(f)

    missing = _patch(client, world, scene.tender_id, "No precondition")
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["code"] == "precondition.required"

    updated = _patch(client, world, scene.tender_id, "First edit", **{"If-Match": etag})
    assert updated.status_code == 200
    new_etag = updated.headers["ETag"]
    assert new_etag == '"v2"'
    assert updated.json()["title"] == "First edit"
    assert events_count(f) == events + 1

    stale = _patch(client, world, scene.tender_id, "Lost update", **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition.stale"
    assert stale.json()["current_etag"] == new_etag

    weak = _patch(client, world, scene.tender_id, "Second edit", **{"If-Match": f"W/{new_etag}"})
    assert weak.status_code == 200

    after = client.get(f"/api/v1/tenders/{scene.tender_id}", headers=world["buyer"].headers)
    assert after.headers["ETag"] == '"v3"'
    assert after.json()["title"] == "Second edit"
    assert events_count(f) == events + 2


def test_a_stale_if_match_on_a_command_is_refused_and_changes_nothing(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene = draft(f)
    assert _patch(client, world, scene.tender_id, "Edited", **{"If-Match": '"v1"'}).status_code == 200
    resp = client.post(
        f"/api/v1/tenders/{scene.tender_id}/cancel",
        json={"reason": "stale view"},
        headers={**world["approver"].headers, "If-Match": '"v1"'},
    )
    assert resp.status_code == 412
    assert scene.state() == "draft"


def test_if_match_that_is_not_an_etag_of_this_api_is_a_4xx_problem(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    scene = draft(Flow(client, world, clock, database))
    for bad in ("*", '"1"', '"v"', '"v-1"', '"vx"', "", '"v1", "v2"', '"v99999999999999999999999"'):
        resp = _patch(client, world, scene.tender_id, "Whatever", **{"If-Match": bad})
        assert 400 <= resp.status_code < 500, (bad, resp.status_code)
        assert resp.headers["content-type"].startswith(PROBLEM)

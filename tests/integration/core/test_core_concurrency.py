"""Concurrent requests against a real server: one award per lot, and idempotent retries that create nothing new.

Runs on SQLite (the writer lock serializes commands) and on PostgreSQL when QM_TEST_DATABASE_URL is set (the
tender row lock does).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quartermaster.api.app import create_app
from quartermaster.awards.models import Award
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from support.core_live import live_server, race
from support.core_scenes import scene_award_ready
from support.flows import Flow, tender_body
from support.world import World

PROBLEM = "application/problem+json"


@pytest.fixture
def server(settings: Settings, clock: FixedClock, database: Database) -> Iterator[str]:
    """A uvicorn server on the test's database and clock."""
    with live_server(create_app(settings, clock=clock, database=database)) as url:
        yield url


def count(db: Database, stmt: object) -> int:
    """A scalar count."""
    with db.unit_of_work(write=False) as s:
        return int(s.scalar(stmt) or 0)  # type: ignore[call-overload]


@pytest.mark.parametrize("round_", range(3))
def test_two_approvers_awarding_the_same_lot_at_once_one_wins_the_other_gets_409(
    round_: int, server: str, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    scene = scene_award_ready(Flow(client, world, clock, database))
    url = f"{server}/api/v1/tenders/{scene.tender_id}/lots/{scene.lot_id}/award"

    def award_as(who: str) -> httpx.Response:
        return httpx.post(url, json={"bid_ids": [scene.bid_id]}, headers=world[who].headers, timeout=60)

    results = race(lambda: award_as("approver"), lambda: award_as("approver2"))
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.headers["content-type"].startswith(PROBLEM)
    problem = loser.json()
    assert problem["code"] == "state.invalid_transition"
    assert problem["current_state"] in ("active.awarded", "awarded")
    assert count(database, select(func.count()).select_from(Award).where(Award.lot_id == scene.lot_id)) == 1
    assert (
        count(
            database,
            select(func.count())
            .select_from(Event)
            .where(Event.process_id == scene.tender_id, Event.command == "award_lots"),
        )
        == 1
    )
    assert scene.state() == "active.awarded"


def _tenders(db: Database) -> int:
    return count(db, select(func.count()).select_from(Tender))


def test_a_retried_post_with_the_same_idempotency_key_creates_nothing_new(
    server: str, world: World, database: Database
) -> None:
    headers = {**world["buyer"].headers, "Idempotency-Key": "create-ammo-2026-03"}
    first = httpx.post(f"{server}/api/v1/tenders", json=tender_body(), headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    retry = httpx.post(f"{server}/api/v1/tenders", json=tender_body(), headers=headers)
    assert (retry.status_code, retry.text) == (201, first.text)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert _tenders(database) == 1

    other = httpx.post(f"{server}/api/v1/tenders", json=tender_body(title="Something else"), headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["code"] == "idempotency.mismatch"
    elsewhere = httpx.post(
        f"{server}/api/v1/tenders/{first.json()['id']}/cancel",
        json={"reason": "dup key"},
        headers={**world["approver"].headers, "Idempotency-Key": "create-ammo-2026-03"},
    )
    assert elsewhere.status_code == 200  # keys belong to their caller: another person's key is another key
    assert _tenders(database) == 1


@pytest.mark.parametrize("racers", [2, 4])
def test_concurrent_duplicates_with_one_idempotency_key_create_one_record(
    racers: int, server: str, world: World, database: Database
) -> None:
    headers = {**world["buyer"].headers, "Idempotency-Key": f"burst-{racers}"}

    def create() -> httpx.Response:
        return httpx.post(f"{server}/api/v1/tenders", json=tender_body(), headers=headers, timeout=60)

    results = race(*[create for _ in range(racers)])
    assert [r.status_code for r in results] == [201] * racers, [r.text for r in results]
    assert len({r.text for r in results}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == racers - 1
    assert _tenders(database) == 1
    assert count(database, select(func.count()).select_from(Event).where(Event.command == "create_tender")) == 1

"""Time: the server clock decides deadlines to the millisecond, and the scheduler catches up exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.scheduler import run_due
from quartermaster.types import FixedClock
from support.core_scenes import Scene, ask, events_count, published
from support.flows import Flow, ok
from support.world import World

MS = timedelta(milliseconds=1)
PERIOD_ENDS = ("end_prequalification", "end_enquiry_period", "end_tender_period")


def _tendering(f: Flow) -> tuple[Scene, datetime]:
    scene = published(f)
    f.advance_to(scene.tender()["enquiry_end"])
    return scene, datetime.fromisoformat(scene.tender()["tender_end"])


def _bid_at(f: Flow, scene: Scene, when: datetime, supplier: str) -> object:
    f.clock.set(when)
    body = {"values": [{"lot_id": scene.lot_id, "value": {"amount": "500000.00", "currency": "UAH"}}]}
    return f.c.post(f"/api/v1/tenders/{scene.tender_id}/bids", json=body, headers=f.h(supplier))


@pytest.mark.parametrize("offset", [MS, timedelta(0)], ids=["1ms-after", "exactly-at"])
def test_a_bid_at_or_after_the_deadline_is_refused_before_the_scheduler_runs(
    offset: timedelta, client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene, deadline = _tendering(f)
    resp = _bid_at(f, scene, deadline + offset, "supplier0")
    assert resp.status_code == 422  # type: ignore[attr-defined]
    problem = resp.json()  # type: ignore[attr-defined]
    assert problem["code"] == "bid.deadline_passed"
    assert datetime.fromisoformat(problem["deadline"]) == deadline
    assert datetime.fromisoformat(problem["received_at"]) == deadline + offset
    assert scene.state() == "active.tendering"  # the scheduler has not closed the period: the clock alone refuses


def test_a_bid_one_millisecond_before_the_deadline_is_accepted(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scene, deadline = _tendering(f)
    receipt = ok(_bid_at(f, scene, deadline - MS, "supplier0"), 201)
    assert datetime.fromisoformat(receipt["submitted_at"]) == deadline - MS
    f.advance_to(deadline.isoformat(), extra=timedelta(0))
    opened = ok(client.post(f"/api/v1/tenders/{scene.tender_id}/open-bids", headers=f.h("evaluator")))
    assert opened["status"] == "active.qualification"
    bids = ok(client.get(f"/api/v1/tenders/{scene.tender_id}/bids"))
    assert [b["id"] for b in bids] == [receipt["bid_id"]]


@dataclass(frozen=True)
class Seen:
    """The parts of a period-end event the test compares."""

    command: str
    object_id: str
    occurred_at: datetime
    recorded_at: datetime
    state_after: str | None
    payload: dict[str, Any]


def _period_end_events(db: Database) -> list[Seen]:
    with db.unit_of_work(write=False) as s:
        rows = s.scalars(select(Event).where(Event.command.in_(PERIOD_ENDS)).order_by(Event.seq))
        return [Seen(e.command, e.object_id, e.occurred_at, e.recorded_at, e.state_after, e.payload) for e in rows]


def test_scheduler_catches_up_every_missed_deadline_once_in_order_at_its_own_time(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    scenes = []
    for hours, procedure in ((0, "open"), (5, "negotiated"), (26, "selective"), (50, "open")):
        clock.set(clock.now() + timedelta(hours=hours))  # published at different times: deadlines interleave
        scenes.append(published(f, procedure))
    ask(scenes[0])  # never answered: the tender period keeps being extended
    expected: dict[str, list[str]] = {}
    for s in scenes:
        t = s.tender()
        expected[s.tender_id] = [t[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if t[k]]

    downtime_over = clock.now() + timedelta(days=60)
    clock.set(downtime_over)
    applied = run_due(database, clock)

    assert [a.due_at for a in applied] == sorted(a.due_at for a in applied)
    assert len({(a.command, a.object_id, a.due_at) for a in applied}) == len(applied)
    events = _period_end_events(database)
    assert [(e.command, e.object_id, e.occurred_at) for e in events] == [
        (a.command, a.object_id, a.due_at) for a in applied
    ]
    assert all(e.recorded_at == downtime_over for e in events)
    for s in scenes:
        mine = [e for e in events if e.object_id == s.tender_id]
        first = [datetime.fromisoformat(x) for x in expected[s.tender_id]]
        assert [e.occurred_at for e in mine][: len(first)] == first
    # The unanswered question holds the first tender open: each extension ends where the previous one said,
    # and the last one reaches beyond the downtime.
    extended = [e for e in events if e.object_id == scenes[0].tender_id and e.command == "end_tender_period"]
    assert len(extended) > 1
    assert {e.state_after for e in extended} == {"active.tendering"}
    for prev, nxt in pairwise(extended):
        assert nxt.occurred_at == datetime.fromisoformat(prev.payload["extended_to"])
    assert datetime.fromisoformat(extended[-1].payload["extended_to"]) > downtime_over
    states = [s.state() for s in scenes]
    assert states == ["active.tendering", "active.opening", "active.prequalification.review", "active.opening"]

    count = events_count(f)
    assert run_due(database, clock) == []
    assert events_count(f) == count
    assert [s.state() for s in scenes] == states

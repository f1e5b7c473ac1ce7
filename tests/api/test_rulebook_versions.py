"""A rulebook version applies from its effective date, to new tenders only: a tender keeps the version it was
published under for the rest of its life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow
from support.world import World

AFTER_SWITCH = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)  # a Monday; rulebook 2026.1 takes effect on 2026-07-01


def _award_after_opening(f: Flow, tid: str) -> dict[str, object]:
    f.bid(tid, "supplier0", "900000.00")
    f.open(tid)
    return f.tender(tid)


def test_a_tender_keeps_the_rulebook_it_was_published_under_after_a_new_version_takes_effect(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    old = f.to_tendering("open")  # published on 2026-03-02 under 2025.1
    _award_after_opening(f, old)
    clock.set(AFTER_SWITCH)
    f.evaluate_all(old)
    old_award = f.award_best(old)[0]

    new = f.to_tendering("open")  # published on 2026-07-06 under 2026.1
    _award_after_opening(f, new)
    decided_new = clock.now()
    f.evaluate_all(new)
    new_award = f.award_best(new)[0]

    assert f.tender(old)["rulebook_version"] == "2025.1"
    assert f.tender(new)["rulebook_version"] == "2026.1"
    # 2025.1: standstill of 4 working days (Prozorro defence); decided Mon 6 July 09:00 -> Fri 10 July 09:00.
    assert datetime.fromisoformat(old_award["standstill_end"]) == AFTER_SWITCH + timedelta(days=4)
    # 2026.1: 10 calendar days (Directive 2009/81/EC art. 57(1)), counted from that award's own decision.
    assert datetime.fromisoformat(new_award["standstill_end"]) == decided_new + timedelta(days=10)

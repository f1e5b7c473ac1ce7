"""The open procedure end to end through HTTP, up to the award."""

from __future__ import annotations

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.world import World


def test_open_tender_runs_from_draft_to_award(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    f = Flow(client, world, clock, database)
    tid = f.to_tendering("open")
    f.bid(tid, "supplier0", "900000.00")
    f.bid(tid, "supplier1", "850000.00")
    f.bid(tid, "supplier2", "870000.00")
    opened = f.open(tid)
    assert opened["status"] == "active.qualification"
    f.evaluate_all(tid)
    awards = f.award_best(tid)
    assert len(awards) == 1
    assert awards[0]["value"]["amount"] == "850000.00"
    assert awards[0]["supplier_id"] == world["supplier1"].organization_id
    assert f.tender(tid)["status"] == "active.awarded"
    events = ok(client.get(f"/api/v1/tenders/{tid}/events", headers=world["auditor"].headers))["data"]
    commands = [e["command"] for e in events]
    assert commands[:3] == ["create_tender", "publish_tender", "end_enquiry_period"]
    assert commands.count("submit_bid") == 3
    assert "award" in commands
    assert commands[-1] == "award_lots"

"""Acting on a classified process needs what reading it needs: a command whose answer would show the process to a
caller without clearance and need-to-know is refused and undone. The event log leaves out what its reader is not
cleared for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.world import World, add_person


def cleared(db: Database, world: World, now: datetime, username: str, role: Role, org: str | None, level: str) -> None:
    """Add a person with a security clearance to the world."""
    with db.unit_of_work() as s:
        add_person(s, world, now, username, role, org, level)


def problem(resp: Any, status: int, code: str) -> None:
    """Assert a refusal."""
    assert resp.status_code == status, resp.text
    assert resp.json()["code"] == code, resp.text


def test_an_uncleared_buyer_cannot_draft_a_classified_tender(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    cleared(database, world, clock.now(), "s_auditor", Role.AUDITOR, None, "secret")
    refused = client.post("/api/v1/tenders", json=tender_body(marking="restricted"), headers=world["buyer"].headers)
    problem(refused, 403, "access.classified")
    assert ok(client.get("/api/v1/tenders", headers=world["s_auditor"].headers))["data"] == []  # nothing was kept
    # The same buyer drafts public tenders as before.
    ok(client.post("/api/v1/tenders", json=tender_body(), headers=world["buyer"].headers), 201)


def test_an_uncleared_approver_cannot_publish_a_classified_tender(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    cleared(database, world, clock.now(), "c_buyer", Role.BUYER, world.buyer_org, "confidential")
    cleared(database, world, clock.now(), "c_approver", Role.APPROVER, world.buyer_org, "confidential")
    draft = ok(
        client.post("/api/v1/tenders", json=tender_body(marking="confidential"), headers=world["c_buyer"].headers), 201
    )
    f = Flow(client, world, clock, database)
    mins = f.minimum("open")
    body = {k: mins[k] for k in ("enquiry_end", "tender_end")}
    url = f"/api/v1/tenders/{draft['id']}/publish"
    problem(client.post(url, json=body, headers=world["approver"].headers), 403, "access.classified")
    assert f.tender(draft["id"], "c_buyer")["status"] == "draft"  # undone
    assert ok(client.post(url, json=body, headers=world["c_approver"].headers))["status"] == "active.enquiries"


def test_a_document_marked_above_the_uploaders_clearance_is_refused(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    cleared(database, world, clock.now(), "r_buyer", Role.BUYER, world.buyer_org, "restricted")
    draft = ok(
        client.post("/api/v1/tenders", json=tender_body(marking="restricted"), headers=world["r_buyer"].headers), 201
    )
    url = f"/api/v1/tenders/{draft['id']}/documents"
    headers = {**world["r_buyer"].headers, "Content-Type": "text/plain"}
    params = {"title": "Annex", "document_type": "technicalSpecifications"}
    refused = client.post(url, params={**params, "marking": "secret"}, content=b"annex", headers=headers)
    problem(refused, 403, "access.classified")
    assert ok(client.get(url, headers=world["r_buyer"].headers))["data"] == []  # undone: the process is still readable
    kept = ok(client.post(url, params={**params, "marking": "restricted"}, content=b"annex", headers=headers), 201)
    assert kept["marking"] == "restricted"


def test_an_auditor_reads_the_event_log_less_the_processes_they_are_not_cleared_for(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    cleared(database, world, clock.now(), "c_buyer", Role.BUYER, world.buyer_org, "secret")
    cleared(database, world, clock.now(), "c_auditor", Role.AUDITOR, None, "secret")
    cleared(database, world, clock.now(), "r_auditor", Role.AUDITOR, None, "restricted")
    public = ok(client.post("/api/v1/tenders", json=tender_body(), headers=world["buyer"].headers), 201)
    secret = ok(
        client.post("/api/v1/tenders", json=tender_body(marking="secret"), headers=world["c_buyer"].headers), 201
    )

    def processes(who: str) -> set[str | None]:
        page = ok(client.get("/api/v1/events", params={"limit": 1000}, headers=world[who].headers))
        return {e["process_id"] for e in page["data"]}

    for who in ("auditor", "r_auditor"):
        assert public["id"] in processes(who)
        assert secret["id"] not in processes(who)
        problem(
            client.get(f"/api/v1/tenders/{secret['id']}/events", headers=world[who].headers), 403, "access.classified"
        )
    assert {public["id"], secret["id"]} <= processes("c_auditor")
    assert None in processes("auditor")  # events of no process (users created) stay in the log


def test_the_events_cursor_does_not_reveal_hidden_events(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    cleared(database, world, clock.now(), "c_buyer", Role.BUYER, world.buyer_org, "secret")
    ok(client.post("/api/v1/tenders", json=tender_body(marking="secret"), headers=world["c_buyer"].headers), 201)
    public = ok(client.post("/api/v1/tenders", json=tender_body(), headers=world["buyer"].headers), 201)
    seqs: list[int] = []
    after = 0
    while True:
        page = ok(client.get("/api/v1/events", params={"after": after, "limit": 1}, headers=world["auditor"].headers))
        seqs += [e["seq"] for e in page["data"]]
        if page["next"] is None:
            break
        assert [str(e["seq"]) for e in page["data"]] == [page["next"]]  # the cursor is the last row shown
        after = int(page["next"])
    everything = ok(client.get("/api/v1/events", params={"limit": 1000}, headers=world["auditor"].headers))["data"]
    assert seqs == [e["seq"] for e in everything]
    assert public["id"] in {e["process_id"] for e in everything}

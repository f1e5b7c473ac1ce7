"""Complaints keep working in classified processes: heard by cleared reviewers, read only by the complainant and the
buyer's staff, and never published (a canary in every complaint text is looked for in every open-data outlet, in
the event log and in the stored log entries)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.identity.models import User
from quartermaster.publication.models import LogEntry
from quartermaster.types import FixedClock
from support.flows import ITEM, Flow, ok
from support.world import World, add_person

Json = dict[str, Any]
CANARY = "CANARY-COMPLAINT-7f3a9c"
CLEARED = ("buyer", "approver", "evaluator", "supplier0", "supplier1", "supplier2", "auditor")


class Classified(Flow):
    """A confidential open tender, awarded to supplier1 over supplier0, with cleared staff and reviewers."""

    def run(self) -> tuple[str, str]:
        """Returns (tender id, award id)."""
        body = {
            "title": "Classified optics",
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "marking": "confidential",
            "lots": [{"title": "Lot 1", "value": {"amount": "200000.00", "currency": "UAH"}, "items": [ITEM]}],
        }
        tid = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h("buyer")), 201)["id"]
        mins = self.minimum("open")
        periods = {k: mins[k] for k in ("enquiry_end", "tender_end") if mins[k]}
        pub = ok(self.c.post(f"/api/v1/tenders/{tid}/publish", json=periods, headers=self.h("approver")))
        self.advance_to(pub["enquiry_end"])
        self.bid(tid, "supplier0", "150000.00")
        self.bid(tid, "supplier1", "100000.00")
        self.advance_to(self.tender(tid, "buyer")["tender_end"])
        ok(self.c.post(f"/api/v1/tenders/{tid}/open-bids", headers=self.h("evaluator")))
        lot_id = self.tender(tid, "buyer")["lots"][0]["id"]
        for b in ok(self.c.get(f"/api/v1/tenders/{tid}/bids", headers=self.h("buyer"))):
            verdict = {"lot_id": lot_id, "compliant": True}
            ok(self.c.post(f"/api/v1/bids/{b['id']}/evaluations", json=verdict, headers=self.h("evaluator")))
        ranking = ok(self.c.get(f"/api/v1/tenders/{tid}/lots/{lot_id}/ranking", headers=self.h("buyer")))
        award = ok(
            self.c.post(
                f"/api/v1/tenders/{tid}/lots/{lot_id}/award",
                json={"bid_ids": [ranking[0]["bid_id"]]},
                headers=self.h("approver"),
            ),
            201,
        )
        return tid, award[0]["id"]


@pytest.fixture
def flow(client: TestClient, world: World, clock: FixedClock, database: Database) -> Classified:
    """World people cleared to confidential (buyer2 and supplier3 stay public), reviewers at two clearances."""
    with database.unit_of_work() as s:
        ids = [world[u].actor.user_id for u in CLEARED]
        s.execute(update(User).where(User.id.in_(ids)).values(clearance="confidential"))
        add_person(s, world, clock.now(), "reviewer", Role.REVIEWER, None, clearance="confidential")
        add_person(s, world, clock.now(), "reviewer_public", Role.REVIEWER, None)
        add_person(s, world, clock.now(), "supplier0_public", Role.SUPPLIER, world.suppliers[0])
    return Classified(client, world, clock, database)


def _file(flow: Classified, tid: str, award_id: str) -> Json:
    body = {
        "kind": "complaint",
        "against": "award",
        "award_id": award_id,
        "title": f"{CANARY} title",
        "description": f"{CANARY} the winner's optics fail the night-vision requirement",
    }
    out: Json = ok(flow.c.post(f"/api/v1/tenders/{tid}/complaints", json=body, headers=flow.h("supplier0")), 201)
    return out


def test_classified_complaint_is_read_only_by_its_parties_and_cleared_reviewers(flow: Classified) -> None:
    tid, award_id = flow.run()
    c = _file(flow, tid, award_id)
    assert c["marking"] == "confidential"
    url = f"/api/v1/complaints/{c['id']}"

    for who in ("supplier0", "buyer", "approver", "evaluator", "reviewer"):
        assert ok(flow.c.get(url, headers=flow.h(who)))["description"] == c["description"], who
        assert [x["id"] for x in ok(flow.c.get(f"/api/v1/tenders/{tid}/complaints", headers=flow.h(who)))] == [c["id"]]
    # the cleared winner and auditor, an uncleared colleague of either side, an uncleared reviewer, anonymous
    for who in ("supplier1", "supplier2", "auditor", "supplier0_public", "buyer2", "reviewer_public", None):
        headers = flow.h(who) if who else {}
        resp = flow.c.get(url, headers=headers)
        assert resp.status_code == 404, who
        assert CANARY not in resp.text
        listed = flow.c.get(f"/api/v1/tenders/{tid}/complaints", headers=headers)
        assert listed.status_code in (200, 403), who
        assert CANARY not in listed.text, who
        if listed.status_code == 200:
            assert listed.json() == [], who

    assert [x["id"] for x in ok(flow.c.get("/api/v1/complaints", headers=flow.h("reviewer")))] == [c["id"]]
    assert ok(flow.c.get("/api/v1/complaints", headers=flow.h("reviewer_public"))) == []
    refused = flow.c.post(f"{url}/accept", json={"reason": "x"}, headers=flow.h("reviewer_public"))
    assert refused.status_code == 404
    assert ok(flow.c.get(url, headers=flow.h("reviewer")))["status"] == "pending"

    ok(flow.c.post(f"{url}/accept", json={"reason": "admissible"}, headers=flow.h("reviewer")))
    decision = {"outcome": "satisfied", "reason": f"{CANARY} reason", "correction": f"{CANARY} cancel the award"}
    assert ok(flow.c.post(f"{url}/decide", json=decision, headers=flow.h("reviewer")))["status"] == "satisfied"


def test_classified_complaint_texts_never_reach_open_data_or_the_logs(flow: Classified, database: Database) -> None:
    tid, award_id = flow.run()
    c = _file(flow, tid, award_id)
    url = f"/api/v1/complaints/{c['id']}"
    ok(flow.c.post(f"{url}/accept", json={"reason": f"{CANARY} admissible"}, headers=flow.h("reviewer")))
    decision = {"outcome": "satisfied", "reason": f"{CANARY} reason", "correction": f"{CANARY} cancel the award"}
    ok(flow.c.post(f"{url}/decide", json=decision, headers=flow.h("reviewer")))
    cancel = {"reason": "complaint upheld by the review body"}
    ok(flow.c.post(f"/api/v1/awards/{award_id}/cancel", json=cancel, headers=flow.h("approver")))
    resolved = ok(flow.c.post(f"{url}/resolve", json={"resolution": f"{CANARY} done"}, headers=flow.h("approver")))
    assert resolved["status"] == "resolved"
    assert CANARY in ok(flow.c.get(url, headers=flow.h("supplier0")))["correction"]  # the canary is really there

    ocid = f"ocds-qm0000-{tid}"
    crawled: list[str] = []
    feed = ok(flow.c.get("/api/v1/feed", params={"limit": 200}))
    crawled.append(str(feed))
    releases = flow.c.get("/api/v1/ocds/releases", params={"limit": 200})
    assert releases.status_code == 200
    crawled.append(releases.text)
    record_url = next(
        (f"/api/v1/ocds/records/{r['ocid']}" for r in releases.json()["releases"] if r["ocid"].endswith(tid)), None
    )
    assert record_url is not None, f"the process's releases were published ({ocid})"
    for who in (None, "supplier0", "supplier1", "buyer", "auditor"):  # public and full (cleared) records
        rec = flow.c.get(record_url, headers=flow.h(who) if who else {})
        assert rec.status_code == 200
        crawled.append(rec.text)
    with database.unit_of_work(write=False) as s:
        entries = s.scalars(select(LogEntry).order_by(LogEntry.index)).all()
        assert entries
        for e in entries:
            crawled.append(e.leaf_input.decode())
            crawled.append(str(e.full_release))
        crawled += [str(e.payload) for e in s.scalars(select(Event)).all()]
    size = len(entries)
    log = ok(flow.c.get("/api/v1/log/entries", params={"start": 0, "end": size}))
    crawled += [base64.b64decode(e["leaf_input"]).decode() for e in log["entries"]]
    events = ok(flow.c.get(f"/api/v1/tenders/{tid}/events", headers=flow.h("auditor")))
    crawled.append(str(events))
    assert "complaint" in {e["object_type"] for e in events["data"]}  # the steps are in the event log...
    leaks = [text for text in crawled if CANARY in text]
    assert leaks == []  # ...but no text of the complaint is anywhere

"""`quartermaster verify <server> --opening <tender>` against a real server on loopback: the log verifies, then the
opening record re-opens to the published prices; a tampered record is named."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import update

from quartermaster.bids.models import BidValue
from quartermaster.db.tx import Database
from quartermaster.scheduler import integrate_log
from quartermaster.types import FixedClock
from quartermaster.verify.cli import run as verify_run
from quartermaster.verify.errors import InputError
from quartermaster.verify.openings import opening_record
from quartermaster.verify.sources import DirSource
from support.committee import Committee
from support.core_live import live_server
from support.flows import Flow, ok, tender_body
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


def opened_tender(f: Flow) -> dict[str, Any]:
    committee = Committee(f)
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "7000000.00"
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(d["id"])
    f.advance_to(f.publish(d["id"])["enquiry_end"])
    t = f.tender(d["id"], "buyer")
    for i, price in enumerate(("6100000.00", "6050000.50")):
        values = [{"lot_id": t["lots"][0]["id"], "value": {"amount": price, "currency": "UAH"}}]
        supplier = f"supplier{i}"
        ok(
            f.c.post(
                f"/api/v1/tenders/{t['id']}/bids",
                json=f.seal(t["id"], supplier, {"values": values}),
                headers=f.h(supplier),
            ),
            201,
        )
    f.advance_to(t["tender_end"])
    for member in ("evaluator", "approver2"):
        ok(committee.release(t["id"], member))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    integrate_log(f.db, f.clock, cast(FastAPI, f.c.app).state.qm.publication.log)
    return t


def all_events(f: Flow) -> list[dict[str, Any]]:
    """Every event, as an auditor saves them page by page from GET /api/v1/events."""
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = ok(f.c.get("/api/v1/events", params={"after": after} if after else {}, headers=f.h("auditor")))
        out.extend(page["data"])
        after = page["next"]
        if after is None:
            return out


def verify_opening(app: FastAPI, tender_id: str, key: str, state: Path) -> tuple[int, str]:
    out = io.StringIO()
    with live_server(app) as base:
        code = verify_run(base, key=key, state=state, console=Console(file=out, width=300), openings=[tender_id])
    return code, out.getvalue()


def test_verify_checks_the_opening_against_the_log(
    client: TestClient, world: World, clock: FixedClock, database: Database, tmp_path: Path
) -> None:
    clock.set(SEALING_ERA)
    f = Flow(client, world, clock, database)
    t = opened_tender(f)
    key = ok(client.get("/api/v1/log/key"))["verifier_key"]
    app = cast(FastAPI, client.app)
    code, output = verify_opening(app, t["id"], key, tmp_path / "state.json")
    assert code == 0, output
    assert "2 bids re-opened to the published prices" in output

    # The members' key enrolments are in the log too: the auditor's saved event log matches it.
    events = tmp_path / "events.json"
    events.write_text(json.dumps(all_events(f)))
    out = io.StringIO()
    with live_server(app) as base:
        code = verify_run(
            base, key=key, state=tmp_path / "state.json", console=Console(file=out, width=300), events=events
        )
    assert code == 0, out.getvalue()
    assert "3 signed decision(s) and key enrolment(s) found in the transparency log" in out.getvalue()

    with database.unit_of_work() as s:  # the platform quietly lowers a published price after the opening
        s.execute(update(BidValue).values(initial_amount=1).where(BidValue.lot_id == t["lots"][0]["id"]))
    code, output = verify_opening(app, t["id"], key, tmp_path / "state.json")
    assert code == 1, output
    assert "not the ones sealed in its envelope" in output


def test_an_export_directory_holds_no_opening_record(tmp_path: Path) -> None:
    source = DirSource(tmp_path)
    with pytest.raises(InputError, match="read from a server"):
        opening_record(source, "tender-1")

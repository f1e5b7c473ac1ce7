"""Withheld data is published when the policy says, and anyone can check it against the commitment logged before.

A confidential process with a declassification date: its releases carry `withheld` commitments; past the date the
scheduler re-publishes it in full and appends a `disclosure` entry for every withheld release, revealing the full
release and its salt, which an outsider checks against the earlier leaf with nothing but SHA-256 and RFC 8785. A
restricted process's contract unit prices become public only in a release published 10 working days after signature.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import rfc8785
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console

from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.publication.bulk import export_log
from quartermaster.rules import PeriodRule, rulebook_for
from quartermaster.scheduler import integrate_log, run_due
from quartermaster.types import FixedClock
from quartermaster.verify.check import verify
from quartermaster.verify.cli import run as verify_run
from quartermaster.verify.sources import open_source
from support.canary_flows import CanaryDriver, CanaryProcess
from support.core_live import live_server
from support.flows import ok
from support.world import World

Json = dict[str, Any]
DECLASSIFY_ON = date(2026, 10, 1)


@pytest.fixture
def driver(client: TestClient, world: World, clock: FixedClock, database: Database) -> CanaryDriver:
    return CanaryDriver(client, world, clock, database)


def leaves(client: TestClient) -> list[Json]:
    """Every log entry's leaf input, decoded, in index order (checked canonical on the way)."""
    size = len(ok(client.get("/api/v1/feed", params={"limit": 500}))["data"])
    entries = ok(client.get("/api/v1/log/entries", params={"start": 0, "end": size}))["entries"]
    out = []
    for n, entry in enumerate(entries):
        assert entry["index"] == n
        raw = base64.b64decode(entry["leaf_input"])
        body = json.loads(raw)
        assert rfc8785.dumps(body) == raw  # what was hashed is the RFC 8785 form: an outsider can recompute it
        out.append(body)
    return out


def publish_log(client: TestClient, database: Database, clock: FixedClock) -> None:
    """The scheduler's checkpoint step."""
    integrate_log(database, clock, client.app.state.qm.publication.log)  # type: ignore[attr-defined]


def verify_exit_code(target: str, key: str, state: Path) -> tuple[int, str]:
    """`quartermaster verify TARGET --key KEY --state STATE`, its exit code and output."""
    out = io.StringIO()
    code = verify_run(target, key=key, state=state, console=Console(file=out, width=300))
    return code, out.getvalue()


def test_past_the_declassification_date_every_withheld_release_is_disclosed_and_checks_out(
    driver: CanaryDriver,
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    p: CanaryProcess = driver.classified("c", "confidential", declassify_on=DECLASSIFY_ON)
    ocid = f"{settings.ocid_prefix}-{p.tender_id}"
    before = leaves(client)
    withheld = {n: leaf["withheld"] for n, leaf in enumerate(before) if leaf["ocid"] == ocid}
    assert len(withheld) >= 10
    assert all(leaf["kind"] == "release" and "withheld" in leaf for leaf in before if leaf["ocid"] == ocid)
    assert "qmcanary-c-tender_title" not in json.dumps(before)

    declassified_at = datetime.combine(DECLASSIFY_ON, time(0), tzinfo=UTC)
    clock.set(declassified_at - timedelta(seconds=1))
    assert run_due(database, clock) == []  # not a second early
    assert len(leaves(client)) == len(before)

    clock.set(declassified_at + timedelta(minutes=5))
    applied = run_due(database, clock)
    assert [(a.command, a.object_id, a.due_at) for a in applied] == [("widen_disclosure", p.tender_id, declassified_at)]
    assert run_due(database, clock) == []  # done once
    publish_log(client, database, clock)
    after = leaves(client)
    assert after[: len(before)] == before  # the log only grows
    new = after[len(before) :]

    full = new[0]  # the process re-published in full: no commitment, every canary in place
    assert (full["kind"], full["ocid"]) == ("release", ocid)
    assert "withheld" not in full
    assert full["release"]["tag"] == ["tenderUpdate"]
    assert full["release"]["date"] == "2026-10-01T00:00:00Z"
    assert full["release"]["tender"]["title"] == "qmcanary-c-tender_title"
    assert full["release"]["tender"]["status"] == "complete"
    assert full["release"]["buyer"]["name"] == "qmcanary-c-buyer_name"

    disclosures = new[1:]
    assert {d["kind"] for d in disclosures} == {"disclosure"}
    assert sorted(d["discloses"] for d in disclosures) == sorted(withheld)
    for d in disclosures:  # from the leaves alone: SHA-256(salt || RFC 8785 JSON of the full release)
        salt = bytes.fromhex(d["salt"])
        assert len(salt) == 32
        assert hashlib.sha256(salt + rfc8785.dumps(d["release"])).hexdigest() == withheld[d["discloses"]]
        public = before[d["discloses"]]["release"]
        assert (d["release"]["id"], d["release"]["tag"]) == (public["id"], public["tag"])
        assert public["date"] == d["release"]["date"][:8] + "01T00:00:00Z"  # published by its month only
    tender_release = next(d for d in disclosures if d["discloses"] == min(withheld))["release"]
    assert tender_release["tender"]["title"] == "qmcanary-c-tender_title"  # what was withheld is now readable
    assert len({d["salt"] for d in disclosures}) == len(disclosures)  # a fresh salt per release

    feed = ok(client.get("/api/v1/feed", params={"after": str(len(before) - 1)}))["data"]
    assert [i["kind"] for i in feed] == ["release"] + ["disclosure"] * len(disclosures)
    record = ok(client.get(f"/api/v1/ocds/records/{ocid}"))["records"][0]
    assert record["compiledRelease"]["tender"]["title"] == "qmcanary-c-tender_title"

    key = ok(client.get("/api/v1/log/key"))["verifier_key"]
    with live_server(cast(FastAPI, client.app)) as base:
        code, output = verify_exit_code(base, key, tmp_path / "state.json")
    assert code == 0, output
    export_log(database, settings, tmp_path / "export")
    code, output = verify_exit_code(str(tmp_path / "export"), key, tmp_path / "state.json")
    assert code == 0, output

    source = open_source(str(tmp_path / "export"))
    try:
        report = verify(source, key=key, state_path=tmp_path / "state.json")
    finally:
        source.close()
    assert report.disclosures == len(disclosures)

    # The verifier is no rubber stamp: a disclosure revealing anything but what was committed to is refused.
    entries = tmp_path / "export" / "entries.jsonl"
    lines = entries.read_text().splitlines()
    last = json.loads(lines[-1])
    forged = json.loads(base64.b64decode(last["leaf_input"]))
    forged["release"]["tender"]["title"] = "something else"
    last["leaf_input"] = base64.b64encode(rfc8785.dumps(forged)).decode()
    entries.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    code, output = verify_exit_code(str(tmp_path / "export"), key, tmp_path / "state.json")
    assert code == 1, output
    assert "is not the one committed to" in output


def test_a_restricted_contracts_unit_prices_are_published_ten_working_days_after_signature(
    driver: CanaryDriver, client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    p = driver.classified("r", "restricted")
    ocid = f"{settings.ocid_prefix}-{p.tender_id}"
    [contract_id] = p.contract_ids
    signed = datetime.fromisoformat(p.signed_at[contract_id])
    due = rulebook_for(signed).calendar().add(signed, PeriodRule(10, "working"))
    assert due >= signed + timedelta(days=14)  # ten working days span two weekends at least

    def contract_items() -> list[Json]:
        latest = [leaf for leaf in leaves(client) if leaf["ocid"] == ocid][-1]
        items: list[Json] = latest["release"]["contracts"][0]["items"]
        return items

    assert all("value" not in item["unit"] for item in contract_items())

    # A release published a minute before the deadline still withholds the price.
    clock.set(due - timedelta(minutes=1))
    assert run_due(database, clock) == []
    pay = {"amount": {"amount": "100.00", "currency": "UAH"}, "paid_at": clock.now().isoformat()}
    headers = driver.h(p.buyer.users["buyer"])
    ok(client.post(f"/api/v1/contracts/{contract_id}/payments", json=pay, headers=headers), 201)
    [item] = contract_items()
    assert "value" not in item["unit"]
    assert item["classification"] == {"scheme": "CPV", "id": "35000000-4"}

    clock.set(due + timedelta(seconds=1))
    applied = run_due(database, clock)
    assert [(a.command, a.object_id, a.due_at) for a in applied] == [("widen_disclosure", p.tender_id, due)]
    latest = [leaf for leaf in leaves(client) if leaf["ocid"] == ocid][-1]
    assert latest["release"]["tag"] == ["tenderUpdate"]
    assert "withheld" in latest  # still restricted: only the reporting fields widened
    [item] = latest["release"]["contracts"][0]["items"]
    [(_, price)] = p.lines.values()
    assert item["unit"]["value"] == {"amount": float(price), "currency": "UAH"}
    assert item["classification"] == {"scheme": "CPV", "id": "35330000-6", "description": "Ammunition"}
    assert "description" not in item
    assert "quantity" not in item
    assert "value" not in latest["release"]["contracts"][0]  # the total stays withheld
    assert run_due(database, clock) == []

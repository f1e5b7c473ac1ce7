"""Publication through HTTP: each public change becomes one release and one log entry in its own transaction; the
feed, the OCDS endpoints and the log serve exactly what was hashed."""

from __future__ import annotations

import base64
import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.ocds import record
from quartermaster.scheduler import integrate_log
from quartermaster.transparency import (
    MerkleTree,
    Verifier,
    canonical_json,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import ok, tender_body
from support.ocds_schema import SCHEMA_DIR, errors, needs_schema
from support.world import World, add_person

Json = dict[str, Any]


def feed(client: TestClient, after: str | None = None, limit: int = 100) -> list[Json]:
    """Every feed item after the cursor, following `next` until caught up."""
    items: list[Json] = []
    cursor = after
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"after": cursor} if cursor is not None else {})
        page = ok(client.get("/api/v1/feed", params=params))
        items += page["data"]
        if not page["data"]:
            return items
        cursor = page["next"]


def b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def flow(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    return ContractFlow(client, world, clock, database)


def test_a_draft_and_sealed_bids_publish_nothing_then_publication_is_one_entry_per_change(
    flow: ContractFlow, client: TestClient
) -> None:
    draft = flow.create("open")
    assert feed(client) == []

    flow.publish(draft["id"])
    items = feed(client)
    assert [i["index"] for i in items] == [0]
    assert items[0]["tags"] == ["tender"]
    assert items[0]["release"]["tender"]["status"] == "active"
    assert items[0]["release"]["id"] == items[0]["release_id"] == f"ocds-qm0000-{draft['id']}-0"

    flow.advance_to(flow.tender(draft["id"])["enquiry_end"])
    flow.bid(draft["id"], "supplier0", "900000.00")  # sealed: no public change
    after_bid = feed(client, after="0")
    assert [i["tags"] for i in after_bid] == [["tenderUpdate"]]  # only the enquiry period's end
    assert "900000" not in json.dumps(after_bid)


def test_a_whole_lifecycle_is_a_dense_commit_ordered_feed_of_valid_releases(
    flow: ContractFlow, client: TestClient
) -> None:
    contract = flow.signed()
    items = feed(client, limit=3)

    assert [i["index"] for i in items] == list(range(len(items)))
    assert [i["cursor"] for i in items] == [str(i) for i in range(len(items))]
    assert {"tender", "award", "contract", "contractUpdate"} <= {t for i in items for t in i["tags"]}
    ocid = items[0]["ocid"]
    assert contract["id"] in json.dumps(items[-1]["release"])

    page = ok(client.get("/api/v1/ocds/releases", params={"limit": 2}))
    assert errors(page, "release-package-schema.json") == []
    assert page["links"]["next"].endswith("after=1&limit=2")
    rec = ok(client.get(f"/api/v1/ocds/records/{ocid}"))
    assert errors(rec, "record-package-schema.json") == []
    assert rec["records"][0]["compiledRelease"] == record([i["release"] for i in items])["compiledRelease"]


@needs_schema
def test_the_served_record_equals_what_ocdskit_compiles(flow: ContractFlow, client: TestClient) -> None:
    combine = pytest.importorskip("ocdskit.combine", reason="ocdskit is not installed")
    flow.signed()
    package = ok(client.get("/api/v1/ocds/releases", params={"limit": 500}))
    ocid = package["releases"][0]["ocid"]

    theirs = list(combine.merge([copy.deepcopy(package)], schema=str(SCHEMA_DIR / "release-schema.json")))
    ours = ok(client.get(f"/api/v1/ocds/records/{ocid}"))["records"][0]["compiledRelease"]

    assert theirs == [ours]


def test_unknown_records_cursors_and_empty_pages_are_clear_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/ocds/records/ocds-qm0000-nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ocds.no_record"
    assert client.get("/api/v1/ocds/releases").json()["code"] == "ocds.no_releases"
    bad = client.get("/api/v1/feed", params={"after": "abc"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "feed.bad_cursor"
    assert client.get("/api/v1/log/checkpoint").json()["code"] == "log.empty"


def test_the_log_holds_every_published_release_and_checkpoints_are_signed_and_consistent(
    flow: ContractFlow, client: TestClient, clock: FixedClock, database: Database
) -> None:
    transparency = client.app.state.qm.publication.log  # type: ignore[attr-defined]
    tid = flow.to_tendering("open")
    assert integrate_log(database, clock, transparency) == len(feed(client))
    first = client.get("/api/v1/log/checkpoint").text
    key = ok(client.get("/api/v1/log/key"))
    verifier = Verifier.parse(key["verifier_key"])
    cp1 = open_checkpoint(first, [verifier], origin=key["origin"])

    flow.bid(tid, "supplier0", "900000.00")
    flow.bid(tid, "supplier1", "850000.00")
    flow.open(tid)
    size2 = integrate_log(database, clock, transparency)
    assert size2 is not None
    assert size2 > cp1.size
    assert integrate_log(database, clock, transparency) is None  # nothing new: no new checkpoint
    cp2 = open_checkpoint(client.get("/api/v1/log/checkpoint").text, [verifier], origin=key["origin"])

    entries = ok(client.get("/api/v1/log/entries", params={"start": 0, "end": cp2.size}))["entries"]
    leaves = [b64(e["leaf_input"]) for e in entries]
    for e, leaf in zip(entries, leaves, strict=True):
        body = json.loads(leaf)
        assert canonical_json(body) == leaf  # the stored bytes are canonical JSON
        assert leaf_hash(leaf) == b64(e["leaf_hash"])
        assert body["kind"] == "release"
        assert "withheld" not in body  # a public process: nothing withheld
    assert MerkleTree([leaf_hash(x) for x in leaves]).root() == cp2.root
    published = [i["release"] for i in feed(client)]
    assert [json.loads(x)["release"] for x in leaves] == published[: cp2.size]

    for index in range(cp2.size):
        proof = ok(client.get("/api/v1/log/proof/inclusion", params={"index": index, "size": cp2.size}))
        verify_inclusion(leaf_hash(leaves[index]), index, cp2.size, [b64(h) for h in proof["proof"]], cp2.root)
    consistency = ok(client.get("/api/v1/log/proof/consistency", params={"first": cp1.size, "second": cp2.size}))
    verify_consistency(cp1.size, cp2.size, [b64(h) for h in consistency["proof"]], cp1.root, cp2.root)


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v1/log/entries", {"start": 5, "end": 2}, "log.bad_range"),
        ("/api/v1/log/entries", {"start": 100, "end": 200}, "log.no_entries"),
        ("/api/v1/log/proof/inclusion", {"index": 0, "size": 99}, "log.bad_size"),
        ("/api/v1/log/proof/inclusion", {"index": 9, "size": 1}, "log.bad_index"),
        ("/api/v1/log/proof/consistency", {"first": 2, "second": 1}, "log.bad_range"),
        ("/api/v1/log/proof/consistency", {"first": 1, "second": 5}, "log.bad_size"),
    ],
)
def test_log_requests_outside_the_tree_are_refused(
    flow: ContractFlow, client: TestClient, path: str, params: dict[str, int], code: str
) -> None:
    flow.publish(flow.create("open")["id"])
    resp = client.get(path, params=params)
    assert resp.status_code in (404, 422), resp.text
    assert resp.json()["code"] == code


def _cleared(database: Database, clock: FixedClock, username: str, role: Role, org: str | None) -> dict[str, str]:
    with database.unit_of_work() as s:
        return add_person(s, World("", "", []), clock.now(), username, role, org, "restricted").headers


def test_a_cleared_auditor_reads_the_full_releases_of_a_classified_process_and_the_public_does_not(
    flow: ContractFlow, client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    buyer = _cleared(database, clock, "cleared-buyer", Role.BUYER, world.buyer_org)
    approver = _cleared(database, clock, "cleared-approver", Role.APPROVER, world.buyer_org)
    auditor = _cleared(database, clock, "cleared-auditor", Role.AUDITOR, None)
    body = tender_body("open", title="Night-vision goggles QMSECRETTITLE", marking="restricted")
    tender = ok(client.post("/api/v1/tenders", json=body, headers=buyer), 201)
    periods = {k: v for k, v in flow.minimum("open").items() if k in ("enquiry_end", "tender_end") and v}
    ok(client.post(f"/api/v1/tenders/{tender['id']}/publish", json=periods, headers=approver))
    ocid = f"ocds-qm0000-{tender['id']}"

    public = client.get(f"/api/v1/ocds/records/{ocid}").text
    full = client.get(f"/api/v1/ocds/records/{ocid}", headers=auditor).text
    page = client.get("/api/v1/ocds/releases", headers=auditor).text
    uncleared = client.get(f"/api/v1/ocds/records/{ocid}", headers=flow.h("auditor")).text

    assert "QMSECRETTITLE" not in public
    assert "QMSECRETTITLE" not in uncleared  # an auditor without clearance sees what the public sees
    assert "QMSECRETTITLE" in full
    assert "QMSECRETTITLE" in page
    assert "QMSECRETTITLE" not in json.dumps(feed(client))  # the feed is the public's


def test_aggregates_count_classified_processes_and_their_money_without_naming_them(
    flow: ContractFlow, client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    flow.signed()  # a public process with a signed contract
    buyer = _cleared(database, clock, "cleared-buyer", Role.BUYER, world.buyer_org)
    approver = _cleared(database, clock, "cleared-approver", Role.APPROVER, world.buyer_org)
    secret = ok(client.post("/api/v1/tenders", json=tender_body("open", marking="restricted"), headers=buyer), 201)
    periods = {k: v for k, v in flow.minimum("open").items() if k in ("enquiry_end", "tender_end") and v}
    ok(client.post(f"/api/v1/tenders/{secret['id']}/publish", json=periods, headers=approver))

    months = ok(client.get("/api/v1/open-data/aggregates"))["data"]
    years = ok(client.get("/api/v1/open-data/aggregates", params={"period": "year"}))["data"]

    assert sum(m["tenders_published"] for m in months) == 2
    assert sum(m["tenders_classified"] for m in months) == 1
    assert sum(m["contracts_signed"] for m in months) == 1
    assert sum(m["contracts_classified"] for m in months) == 0
    signed = next(m for m in months if m["contracts_signed"])
    assert signed["contract_value"][0]["currency"] == "UAH"
    assert signed["classified_contract_value"] == []
    assert [y["period"] for y in years] == ["2026"]
    bad = client.get("/api/v1/open-data/aggregates", params={"period": "week"})
    assert bad.status_code == 422


def test_a_period_with_fewer_than_three_classified_contracts_suppresses_its_sums() -> None:
    from quartermaster.publication.aggregates import MIN_CLASSIFIED_GROUP, Row

    row = Row("2026-03", contracts_signed=2, contracts_classified=1)
    row.contract_value["UAH"] += Decimal("300.00")
    row.classified_contract_value["UAH"] += Decimal("100.00")
    enough = Row("2026-04", contracts_signed=3, contracts_classified=MIN_CLASSIFIED_GROUP)
    enough.classified_contract_value["UAH"] += Decimal("100.00")

    assert row.json()["contract_value"] is None
    assert row.json()["classified_contract_value"] is None
    assert row.json()["values_suppressed"] is True
    assert enough.json()["classified_contract_value"] == [{"currency": "UAH", "amount": "100.00"}]
    assert Row("2026-05").json()["values_suppressed"] is False

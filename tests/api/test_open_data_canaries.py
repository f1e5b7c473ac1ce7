"""No canary of a classified process leaves through any open-data outlet.

Restricted, confidential and secret processes, a cancelled confidential one, a public process with a secret lot, a
secret item and a secret document, and a confidential framework agreement with a mini-competition called off it run
through the HTTP API with a distinct canary in every free-text field one can set (and distinctive amounts and
registration codes). Then everything the public can read is crawled anonymously: the feed's pages, its SSE stream
from a real server, the OCDS releases, every record, every bulk file in every form, the transparency log, the CLI
exports (``bulk.write_export`` in every form and ``bulk.export_log``, what `quartermaster export` runs), the error
answers of these routes and the server's log output. No hidden canary may appear anywhere; every
canary the policy publishes (the public process's fields, the restricted buyer) must appear in every outlet that
carries releases, so a crawl that reaches nothing fails.

The processes are built once for the module (a few seconds of API calls); each outlet is its own test.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.ocds.values import rfc3339
from quartermaster.publication import bulk
from quartermaster.scheduler import tick
from quartermaster.types import FixedClock
from support.canary_flows import REQUIRED, Canaries, CanaryDriver, CanaryProcess, Findings
from support.core_live import live_server
from support.db import TestDatabases
from support.flows import ok
from support.world import build_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the suite's clock start (tests/conftest.py)
Json = dict[str, Any]


# --- the processes ------------------------------------------------------------------------------------------------


class LogCapture(logging.Handler):
    """Every record the server logs while the processes run and the crawl reads (caplog is per test, this is not)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {record.levelname}: {text}")


@dataclass
class Published:
    """The module's world after every canary process ran."""

    app: FastAPI
    client: TestClient
    db: Database
    settings: Settings
    clock: FixedClock
    canaries: Canaries
    processes: dict[str, CanaryProcess]
    logs: LogCapture
    tmp: Path
    tokens: dict[str, str]

    def ocid(self, key: str) -> str:
        """The ocid of one process."""
        return f"{self.settings.ocid_prefix}-{self.processes[key].tender_id}"


@pytest.fixture(scope="module")
def published(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Every canary process, run once for the module, with the log integrated and the server's logs captured."""
    db = databases.dedicated()
    tmp = tmp_path_factory.mktemp("canaries")
    settings = Settings(data_dir=tmp / "data", run_scheduler=False)
    clock = FixedClock(START)
    app = create_app(settings, clock=clock, database=db)
    capture = LogCapture()
    ours = logging.getLogger("quartermaster")
    level = ours.level
    logging.getLogger().addHandler(capture)
    ours.setLevel(logging.DEBUG)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            world = build_world(db, clock.now())
            driver = CanaryDriver(client, world, clock, db)
            driver.framework_call_off()
            driver.classified("x", "confidential")
            driver.public_with_secret_parts()
            driver.classified("c", "confidential")
            driver.classified("s", "secret", declassify_on=date(2041, 1, 1))
            driver.classified("r", "restricted")  # last: its unit prices go public 10 working days after signature
            tick(db, clock, app.state.qm.publication.log)  # a scheduler pass: it signs a checkpoint and logs it
            yield Published(
                app, client, db, settings, clock, driver.canaries, driver.processes, capture, tmp, driver.tokens
            )
    finally:
        logging.getLogger().removeHandler(capture)
        ours.setLevel(level)
        db.dispose()


# --- the crawl ----------------------------------------------------------------------------------------------------


@dataclass
class Outlet:
    """Everything one outlet served, as text, labelled by where it came from."""

    name: str
    carries_releases: bool
    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, text: str) -> None:
        """Record one response, file or line."""
        self.texts.append((label, text))


def _response_text(resp: httpx.Response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
    return f"{resp.status_code}\n{headers}\n{resp.content.decode('utf-8', 'replace')}"


def crawl_feed(client: TestClient) -> Outlet:
    """Every page of /feed, following `next` with small pages so paging is crawled too."""
    out = Outlet("feed", True)
    cursor: str | None = None
    while True:
        params: Json = {"limit": 7} | ({"after": cursor} if cursor is not None else {})
        resp = client.get("/api/v1/feed", params=params)
        out.add(f"/feed?{params}", _response_text(resp))
        page = ok(resp)
        if not page["data"]:
            return out
        cursor = page["next"]


def feed_items(client: TestClient) -> list[Json]:
    """Every feed item in order."""
    items: list[Json] = []
    cursor: str | None = None
    while True:
        page = ok(client.get("/api/v1/feed", params={"limit": 500} | ({"after": cursor} if cursor else {})))
        if not page["data"]:
            return items
        items += page["data"]
        cursor = page["next"]


def read_sse(base: str, last: int, headers: dict[str, str] | None = None, params: Json | None = None) -> list[Json]:
    """Read /feed/stream until the event with index ``last`` arrived; each event as {id, event, data, raw}."""
    events: list[Json] = []
    current: Json = {"raw": ""}
    with (
        httpx.Client(base_url=base, timeout=httpx.Timeout(10.0)) as http,
        http.stream("GET", "/api/v1/feed/stream", headers=headers, params=params) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            current["raw"] += line + "\n"
            if line.startswith(("id:", "event:", "data:")):
                key, _, value = line.partition(":")
                current[key] = value.strip()
            elif line == "" and "id" in current:
                events.append(current)
                if int(current["id"]) >= last:
                    return events
                current = {"raw": ""}
            elif line == "":
                current = {"raw": ""}
    raise AssertionError(f"the stream ended after {len(events)} events")


def crawl_sse(published: Published) -> Outlet:
    """The SSE stream from the start, and resumed with Last-Event-ID, against a real server."""
    out = Outlet("sse", True)
    last = len(feed_items(published.client)) - 1
    with live_server(published.app) as base:
        events = read_sse(base, last)
        resumed = read_sse(base, last, headers={"Last-Event-ID": str(last // 2)})
    assert [int(e["id"]) for e in events] == list(range(last + 1))
    assert [int(e["id"]) for e in resumed] == list(range(last // 2 + 1, last + 1))
    for event in events + resumed:
        assert json.loads(event["data"])["cursor"] == event["id"]
        out.add(f"sse event {event['id']}", event["raw"])
    return out


def crawl_ocds(client: TestClient, ocids: list[str]) -> Outlet:
    """Every page of /ocds/releases and the record of every ocid."""
    out = Outlet("ocds", True)
    url: str | None = "/api/v1/ocds/releases?limit=9"
    while url is not None:
        resp = client.get(url)
        out.add(url, _response_text(resp))
        nxt = ok(resp)["links"].get("next")
        url = urlsplit(nxt).path + "?" + urlsplit(nxt).query if nxt else None
    for ocid in ocids:
        resp = client.get(f"/api/v1/ocds/records/{ocid}")
        out.add(f"record {ocid}", _response_text(resp))
        assert resp.status_code == 200, resp.text
    for period in ("month", "quarter", "year"):  # totals include classified contracts: never one contract's value
        resp = client.get("/api/v1/open-data/aggregates", params={"period": period})
        out.add(f"aggregates by {period}", _response_text(resp))
        assert resp.status_code == 200, resp.text
    return out


def _spreadsheet_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = [
        f"{sheet.title}!{'|'.join('' if v is None else str(v) for v in row)}"
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return "\n".join(cells)


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(f"{name}:\n{archive.read(name).decode('utf-8-sig')}" for name in archive.namelist())


def decode_file(name: str, data: bytes) -> str:
    """A bulk file as text: zips unpacked member by member, spreadsheets cell by cell."""
    if name.endswith(".zip"):
        return _zip_text(data)
    if name.endswith(".xlsx"):
        return _spreadsheet_text(data)
    return data.decode("utf-8")


def crawl_bulk(client: TestClient) -> Outlet:
    """The bulk index and every file it lists."""
    out = Outlet("bulk", True)
    resp = client.get("/api/v1/ocds/bulk")
    out.add("/ocds/bulk", _response_text(resp))
    months = ok(resp)["months"]
    assert months
    for month in months:
        assert set(month["files"]) == set(bulk.FORMATS)
        for url in month["files"].values():
            path = "/api/v1/ocds/bulk/" + url.rsplit("/", 1)[1]
            file = client.get(path)
            assert file.status_code == 200, (path, file.text)
            out.add(path, decode_file(path, file.content))
            out.add(f"{path} headers", "\n".join(f"{k}: {v}" for k, v in file.headers.items()))
    return out


def crawl_log(client: TestClient) -> Outlet:
    """The log's key, latest checkpoint and every entry, with each leaf input decoded."""
    out = Outlet("log", True)
    for path in ("/api/v1/log/key", "/api/v1/log/checkpoint"):
        out.add(path, _response_text(client.get(path)))
    size = len(feed_items(client))
    for start in range(0, size, 1000):
        resp = client.get("/api/v1/log/entries", params={"start": start, "end": min(size, start + 1000)})
        out.add(f"/log/entries?start={start}", _response_text(resp))
        for entry in ok(resp)["entries"]:
            out.add(f"leaf {entry['index']}", base64.b64decode(entry["leaf_input"]).decode("utf-8"))
    return out


def crawl_exports(published: Published) -> Outlet:
    """What `quartermaster export ocds` writes in every form, and `quartermaster export log`'s directory."""
    out = Outlet("exports", True)
    for form in bulk.FORMATS:
        sink = io.BytesIO()
        assert bulk.write_export(published.db, published.settings, form, sink) > 0
        out.add(f"export {form}", decode_file(bulk.file_name("all", form), sink.getvalue()))
    target = published.tmp / "log-export"
    assert bulk.export_log(published.db, published.settings, target) > 0
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        text = path.read_text()
        out.add(str(path.relative_to(target)), text)
        if path.name == "entries.jsonl":
            for line in text.splitlines():
                out.add("exported leaf", base64.b64decode(json.loads(line)["leaf_input"]).decode("utf-8"))
    return out


def crawl_errors(client: TestClient, published: Published) -> Outlet:
    """The open-data routes asked odd things: bad cursors, unknown ocids, bad bulk names, ranges outside the log."""
    out = Outlet("errors", False)
    ids = [p.tender_id for p in published.processes.values()]
    ocid = published.ocid("s")
    paths = [
        "/api/v1/feed?after=abc",
        "/api/v1/feed?after=-1",
        "/api/v1/feed?after=99999999",
        "/api/v1/feed?limit=0",
        "/api/v1/feed?after=" + "9" * 30,
        "/api/v1/feed/stream?after=zz",
        "/api/v1/ocds/releases?after=abc",
        "/api/v1/ocds/releases?after=99999999",
        "/api/v1/ocds/releases?limit=100000",
        "/api/v1/ocds/records/ocds-qm0000-nope",
        f"/api/v1/ocds/records/{ocid}x",
        f"/api/v1/ocds/records/{ocid[:-1]}",
        f"/api/v1/ocds/records/{ocid}-0",
        "/api/v1/ocds/records/" + "x" * 300,
        "/api/v1/ocds/bulk/nonsense",
        "/api/v1/ocds/bulk/2026-13-jsonl.jsonl",
        "/api/v1/ocds/bulk/1999-01-jsonl.jsonl",
        "/api/v1/ocds/bulk/2026-03-csv.jsonl",
        "/api/v1/ocds/bulk/2026-03-jsonl.jsonl.bak",
        "/api/v1/ocds/bulk/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/log/entries?start=5&end=2",
        "/api/v1/log/entries?start=99999&end=100000",
        "/api/v1/log/entries?start=-1&end=2",
        "/api/v1/log/proof/inclusion?index=0&size=99999",
        "/api/v1/log/proof/inclusion?index=9999&size=1",
        "/api/v1/log/proof/consistency?first=2&second=1",
        "/api/v1/log/proof/consistency?first=1&second=99999",
        "/problems/ocds.no_record",
    ]
    paths += [f"/api/v1/ocds/records/{i}" for i in ids]  # a tender id is not an ocid
    for path in paths:
        resp = client.get(path)
        assert resp.status_code < 500, (path, resp.status_code, resp.text)
        out.add(path, _response_text(resp))
    return out


@pytest.fixture(scope="module")
def outlets(published: Published) -> dict[str, Outlet]:
    """Every outlet, crawled once; the server's log output last, after everything else has run."""
    client = TestClient(published.app, raise_server_exceptions=False)  # anonymous: no token anywhere
    ocids = sorted({item["ocid"] for item in feed_items(client)})
    assert set(ocids) == {published.ocid(k) for k in published.processes}
    crawled = [
        crawl_feed(client),
        crawl_sse(published),
        crawl_ocds(client, ocids),
        crawl_bulk(client),
        crawl_log(client),
        crawl_exports(published),
        crawl_errors(client, published),
    ]
    logs = Outlet("server logs", False, [("log", line) for line in published.logs.lines])
    return {o.name: o for o in [*crawled, logs]}


def scan(canaries: Canaries, outlet: Outlet) -> tuple[dict[str, list[str]], set[str]]:
    """Leaks (canary -> the labels of the texts it was in) and the required canaries seen, over an outlet."""
    leaks: dict[str, list[str]] = {}
    seen: set[str] = set()
    for label, text in outlet.texts:
        found: Findings = canaries.scan(text)
        for canary in found.leaks:
            leaks.setdefault(canary, []).append(label)
        seen |= found.seen
    return leaks, seen


# --- the tests ----------------------------------------------------------------------------------------------------

OUTLETS = ["feed", "sse", "ocds", "bulk", "log", "exports", "errors", "server logs"]


@pytest.mark.parametrize("name", OUTLETS)
def test_no_classified_canary_leaves_through_the_outlet(
    published: Published, outlets: dict[str, Outlet], name: str
) -> None:
    outlet = outlets[name]
    assert outlet.texts, f"{name}: the crawl read nothing"
    leaks, seen = scan(published.canaries, outlet)
    lines = [f"  leaked {c}: {published.canaries.where(c)} in {labels[:3]}" for c, labels in sorted(leaks.items())]
    if outlet.carries_releases:  # the crawl reaches every published field: the public canaries are all there
        missing = published.canaries.of(REQUIRED) - seen
        lines += [f"  missing {c}: {published.canaries.where(c)}" for c in sorted(missing)]
    assert not lines, f"{name}:\n" + "\n".join(lines)


def latest_releases(published: Published) -> dict[str, Json]:
    """Each process's newest public release, by process key."""
    by_ocid = {item["ocid"]: item["release"] for item in feed_items(published.client)}
    return {key: by_ocid[published.ocid(key)] for key in published.processes}


def _first_of_month(value: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-01T00:00:00Z", value) is not None


def _cleared_tender(published: Published, key: str) -> Json:
    p = published.processes[key]
    auth = {"Authorization": f"Bearer {published.tokens[p.buyer.users['buyer']]}"}
    tender: Json = ok(published.client.get(f"/api/v1/tenders/{p.tender_id}", headers=auth))
    return tender


def test_the_restricted_process_publishes_what_the_policy_makes_exact(published: Published) -> None:
    release = latest_releases(published)["r"]
    p = published.processes["r"]
    buyer = {"id": p.buyer.party_id, "name": "qmcanary-r-buyer_name"}
    assert release["buyer"] == release["tender"]["procuringEntity"] == buyer
    parties = {party["id"]: party for party in release["parties"]}
    assert parties[p.buyer.party_id]["address"] == {"region": "qmcanary-r-buyer_region"}  # region only
    assert not {"name", "identifier", "contactPoint"} & set(parties[p.buyer.party_id])
    suppliers = [party for party in release["parties"] if "buyer" not in party["roles"]]
    regions = sorted(party["address"]["region"] for party in suppliers)
    assert regions == ["qmcanary-r-sup0_region", "qmcanary-r-sup1_region"]
    assert all(set(party["address"]) == {"region"} for party in suppliers)
    assert all(re.fullmatch(r"party-[0-9a-f]{16}", party["id"]) for party in suppliers)
    tender = _cleared_tender(published, "r")
    assert release["tender"]["tenderPeriod"]["endDate"] == rfc3339(datetime.fromisoformat(tender["tender_end"]))
    assert release["tender"]["numberOfTenderers"] == 2
    assert release["planning"] == {"budget": {"id": "KPKVK 2101020"}}
    item = release["tender"]["items"][0]
    assert item["classification"] == {"scheme": "CPV", "id": "35000000-4"}  # the division
    assert item["quantityRange"] == {"atLeast": 100, "lessThan": 1000}  # 317
    assert "quantity" not in item
    contract = release["contracts"][0]
    assert contract["dateSigned"] == rfc3339(datetime.fromisoformat(p.signed_at[contract["id"]]))
    assert "value" not in contract["items"][0]["unit"]  # the unit price: only 10 working days after signature
    assert _first_of_month(contract["implementation"]["transactions"][0]["date"])
    assert contract["implementation"]["transactions"][0]["payer"] == {"id": p.buyer.party_id}
    assert set(contract["amendments"][0]) == {"id", "date", "rationale"}


def test_confidential_and_secret_processes_publish_only_what_their_policy_names(published: Published) -> None:
    latest = latest_releases(published)
    conf = latest["c"]
    buyer_party = next(party for party in conf["parties"] if "buyer" in party["roles"])
    assert conf["buyer"] == {"id": buyer_party["id"]}  # an alias that resolves to the typed buyer party
    assert buyer_party["id"] != published.processes["c"].buyer.party_id
    assert buyer_party["details"]["classifications"][0]["id"] == "defence_agency"
    assert all(set(party) == {"id", "roles", "details"} for party in conf["parties"])  # no address at all
    period = conf["tender"]["tenderPeriod"]
    assert _first_of_month(period["startDate"])
    assert _first_of_month(period["endDate"])
    assert _first_of_month(conf["awards"][0]["date"])
    assert _first_of_month(conf["contracts"][0]["dateSigned"])
    assert conf["tender"]["items"][0] == {
        "id": conf["tender"]["items"][0]["id"],
        "relatedLot": published.processes["c"].lot_ids[0],
        "classification": {"scheme": "CPV", "id": "35000000-4"},
    }
    assert conf["tender"]["numberOfTenderers"] == 2
    secret = latest["s"]
    assert set(secret["tender"]) == {
        "id",
        "status",
        "procurementMethod",
        "procurementMethodDetails",
        "mainProcurementCategory",
        "items",
        "lots",
        "enquiries",
    }
    assert all(set(item) == {"id", "relatedLot"} for item in secret["tender"]["items"])
    assert set(secret["contracts"][0]) == {"id", "awardID", "status", "items", "amendments", "implementation"}


def test_every_release_of_a_classified_process_carries_a_commitment(
    published: Published, outlets: dict[str, Outlet]
) -> None:
    leaves = [json.loads(text) for label, text in outlets["log"].texts if label.startswith("leaf ")]
    assert all(re.fullmatch(r"[0-9a-f]{64}", leaf["withheld"]) for leaf in leaves if "withheld" in leaf)
    assert {leaf["kind"] for leaf in leaves} == {"release"}  # nothing was declassified
    # Every process here has a classified part (the mini-competition through its framework: see the test below).
    classified = {published.ocid(k) for k in published.processes if k != "m"}
    assert all("withheld" in leaf for leaf in leaves if leaf["ocid"] in classified)
    assert {leaf["ocid"] for leaf in leaves} >= classified


def test_a_mini_competition_called_off_a_classified_framework_publishes_none_of_the_framework(
    published: Published,
) -> None:
    """The call-off copies the framework's title, lots, items and buyer into a new tender: it is part of the
    framework's classified process and must be projected under the framework's marking, not published as public."""
    mini = [i for i in feed_items(published.client) if i["ocid"] == published.ocid("m")]
    assert mini, "the mini-competition was published"
    for item in mini:
        found = published.canaries.scan(json.dumps(item, ensure_ascii=False)).leaks
        assert not found, (item["index"], sorted(found))


def test_the_scanner_finds_canaries_where_they_are(published: Published, outlets: dict[str, Outlet]) -> None:
    """The cleared buyer's operational API shows the hidden canaries: the scan would catch them in an outlet."""
    p = published.processes["c"]
    auth = {"Authorization": f"Bearer {published.tokens[p.buyer.users['buyer']]}"}
    found = published.canaries.scan(published.client.get(f"/api/v1/tenders/{p.tender_id}", headers=auth).text)
    assert {"qmcanary-c-tender_title", "qmcanary-c-item_description", "4432198.76"} <= found.leaks
    assert published.canaries.scan("x 4432198.76 y").leaks == {"4432198.76"}
    assert not published.canaries.scan("a4432198.76 4432198.765 +4432198.76").leaks
    assert sum(len(o.texts) for o in outlets.values()) > 100

"""Every process of a seeded database, and one process driven step by step through the API, mapped to OCDS and
validated against the official 1.1.5 release-package and record-package schemas with zero errors."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.bids.models import Bid
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.db.tx import Database
from quartermaster.frameworks.models import CallOff
from quartermaster.ocds import Naming, record, record_package, release_package
from quartermaster.seed import SeedSpec, seed
from quartermaster.tenders.models import DRAFT, Tender
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.ocds_process import last_seq, releases_now
from support.ocds_schema import SCHEMA_DIR, assert_valid, codes, errors, needs_schema
from support.world import World

pytestmark = needs_schema

Json = dict[str, Any]
NAMING = Naming(ocid_prefix="ocds-qm0000")
PUBLISHER = {"name": "Quartermaster integration test", "scheme": "UA-EDR", "uid": "00000000"}
PUBLISHED = datetime(2026, 3, 9, tzinfo=UTC)
URI = "https://quartermaster.example.org/api/v1/ocds/releases"


def _seeded_releases(database: Database) -> dict[str, list[Json]]:
    """Releases of every published tender's public changes, by ocid."""
    with database.unit_of_work(write=False) as s:
        ids = list(s.scalars(select(Tender.id).where(Tender.status != DRAFT).order_by(Tender.created_at)))
        return {NAMING.ocid(tid): releases_now(s, tid, NAMING) for tid in ids}


@pytest.fixture
def seeded(database: Database, clock: FixedClock) -> dict[str, list[Json]]:
    """A tiny seeded data set (every procedure and stage), mapped."""
    result = seed(database, spec=SeedSpec(buyers=2, suppliers=6, tenders=20), clock=clock)
    assert result.failures == []
    return _seeded_releases(database)


def test_every_seeded_process_validates_as_release_and_record_packages(
    seeded: dict[str, list[Json]], database: Database
) -> None:
    releases = [r for rs in seeded.values() for r in rs]
    records = [record(rs) for rs in seeded.values() if rs]
    with database.unit_of_work(write=False) as s:
        mapped = {
            "contracts": s.query(Contract).filter(Contract.award_id.is_not(None)).count(),
            "amendments": s.query(Amendment).count(),
            "deliveries": s.query(Delivery).count(),
            "payments": s.query(Payment).count(),
            "mini-competitions": s.query(CallOff).filter(CallOff.tender_id.is_not(None)).count(),
        }

    releases_pkg = release_package(releases, uri=URI, published_date=PUBLISHED, publisher=PUBLISHER)
    records_pkg = record_package(records, uri=URI, published_date=PUBLISHED, publisher=PUBLISHER)

    assert len(releases) > 50, f"{len(releases)} releases is too few to prove much"
    assert all(n > 0 for n in mapped.values()), mapped
    assert errors(releases_pkg, "release-package-schema.json") == []
    assert errors(records_pkg, "record-package-schema.json") == []
    assert len({r["id"] for r in releases}) == len(releases)
    compiled = [r["compiledRelease"] for r in records]
    assert any(c.get("contracts", [{}])[0].get("implementation") for c in compiled)
    assert any(c.get("relatedProcesses") for c in compiled)


def test_seeded_releases_use_only_codelist_codes(seeded: dict[str, list[Json]]) -> None:
    releases = [r for rs in seeded.values() for r in rs]
    found: dict[str, set[str]] = {k: set() for k in ("tag", "tender", "award", "contract", "method", "milestone")}
    for r in releases:
        found["tag"].update(r["tag"])
        found["tender"].add(r["tender"]["status"])
        found["tender"].update(x["status"] for x in r["tender"].get("lots", []))
        found["method"].add(r["tender"]["procurementMethod"])
        found["award"].update(a["status"] for a in r.get("awards", []))
        found["contract"].update(c["status"] for c in r.get("contracts", []))
        found["milestone"].update(
            m["status"] for c in r.get("contracts", []) for m in c.get("implementation", {}).get("milestones", [])
        )

    assert found["tag"] <= codes("releaseTag.csv")
    assert found["tender"] <= codes("tenderStatus.csv")
    assert found["method"] <= codes("method.csv")
    assert found["award"] <= codes("awardStatus.csv")
    assert found["contract"] <= codes("contractStatus.csv")
    assert found["milestone"] <= codes("milestoneStatus.csv")
    assert {"tender", "award", "contract"} <= found["tag"]


def test_no_sealed_bid_reaches_any_release(seeded: dict[str, list[Json]], database: Database) -> None:
    text = json.dumps(seeded)
    with database.unit_of_work(write=False) as s:
        sealed = list(s.scalars(select(Bid.id).where(Bid.opened_at.is_(None))))
        opened = list(s.scalars(select(Bid.id).where(Bid.opened_at.is_not(None))))

    assert sealed
    assert opened
    assert [b for b in sealed if b in text] == []
    assert all(b in text for b in opened)


def test_records_equal_what_ocdskit_compiles(seeded: dict[str, list[Json]]) -> None:
    combine = pytest.importorskip("ocdskit.combine", reason="ocdskit is not installed")
    releases = [r for rs in seeded.values() for r in rs]
    package = release_package(releases, uri=URI, published_date=PUBLISHED, publisher=PUBLISHER)

    # Offline: the core release schema is given, so ocdskit neither fetches it nor builds a profile from the
    # declared extensions (their patches add no merge rule that changes our data: they only add arrays merged
    # by id and string arrays).
    theirs = {
        c["ocid"]: c for c in combine.merge([copy.deepcopy(package)], schema=str(SCHEMA_DIR / "release-schema.json"))
    }
    ours = {ocid: record(rs)["compiledRelease"] for ocid, rs in seeded.items() if rs}

    assert ours.keys() == theirs.keys()
    assert [ocid for ocid in ours if ours[ocid] != theirs[ocid]] == []


def test_a_process_published_step_by_step_compiles_to_its_latest_state(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    flow = ContractFlow(client, world, clock, database)
    published: list[Json] = []
    seen = 0

    def publish(tender_id: str) -> None:
        nonlocal seen
        with database.unit_of_work(write=False) as s:
            published.extend(releases_now(s, tender_id, NAMING, after_seq=seen))
            seen = last_seq(s)

    contract = flow.signed(quantity="1000")
    tender_id = contract["tender_id"]
    publish(tender_id)
    delivery = flow.deliver(contract["id"], "400")
    publish(tender_id)
    flow.accept(delivery["id"])
    flow.pay(contract["id"], "40000.00", delivery_id=delivery["id"])
    publish(tender_id)

    rec = record(published)
    compiled = rec["compiledRelease"]
    latest = published[-1]

    assert published[0]["tag"] == ["tender"]
    assert ["implementation"] in [r["tag"] for r in published]
    assert compiled == {**latest, "id": f"{latest['ocid']}-{latest['date']}", "tag": ["compiled"]}
    assert compiled["contracts"][0]["status"] == "active"
    assert compiled["contracts"][0]["implementation"]["transactions"][0]["value"] == {
        "amount": 40000,
        "currency": "UAH",
    }
    assert [b["status"] for b in compiled["bids"]["details"]] == ["valid", "valid"]
    assert_valid(
        release_package(published, uri=URI, published_date=PUBLISHED, publisher=PUBLISHER),
        "release-package-schema.json",
    )
    assert_valid(
        record_package([rec], uri=URI, published_date=PUBLISHED, publisher=PUBLISHER), "record-package-schema.json"
    )


def test_the_validator_is_not_vacuous() -> None:
    bad = {
        "uri": "not a uri",
        "publishedDate": "yesterday",
        "publisher": {},
        "version": "1.1",
        "releases": [
            {
                "ocid": "x",
                "id": "1",
                "date": "2026-01-01T00:00:00Z",
                "tag": ["bogus"],
                "initiationType": "tender",
                "tender": {"id": "t", "status": "active.tendering", "value": {"amount": "100.00", "currency": "UAH"}},
            }
        ],
    }

    found = errors(bad, "release-package-schema.json")

    assert len(found) >= 6, found

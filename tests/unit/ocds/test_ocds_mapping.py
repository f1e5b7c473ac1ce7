"""The pure OCDS mapping on hand-built objects: ids, tags, statuses, money as numbers, sealed bids never shown."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from quartermaster.ocds import EXTENSION_URLS, RELEASE_TAGS, record_package, release, release_package, release_tags
from quartermaster.ocds.contracting import contract_status
from quartermaster.ocds.mapping import lot_status, tender_status
from quartermaster.ocds.values import number, period, rfc3339
from quartermaster.tenders.models import TENDER_MACHINE
from support.ocds_objects import NAMING, before_opening, change, process
from support.ocds_schema import assert_valid, codes, needs_schema

PUBLISHER = {"name": "Quartermaster test publisher"}


def _release(**kw: str) -> dict[str, Any]:
    return release(process(**kw), change(42, 100, "ContractCompleted"), NAMING)


def test_ocid_uses_the_configured_prefix_and_release_id_the_change_seq() -> None:
    out = _release()

    assert out["ocid"] == "ocds-test01-t1"
    assert out["id"] == "ocds-test01-t1-42"
    assert out["date"] == "2026-03-06T13:00:00Z"
    assert out["tag"] == ["contractTermination"]
    assert out["initiationType"] == "tender"


@pytest.mark.parametrize(
    ("ours", "ocds"),
    [
        ("draft", "planning"),
        ("active.enquiries", "active"),
        ("active.tendering", "active"),
        ("active.qualification", "active"),
        ("active.awarded", "active"),
        ("complete", "complete"),
        ("unsuccessful", "unsuccessful"),
        ("cancelled", "cancelled"),
    ],
)
def test_tender_status_maps_to_the_tender_status_codelist(ours: str, ocds: str) -> None:
    assert tender_status(ours) == ocds


@needs_schema
def test_every_status_we_publish_is_an_ocds_code() -> None:
    tender_codes, contract_codes = codes("tenderStatus.csv"), codes("contractStatus.csv")
    assert {tender_status(s) for s in TENDER_MACHINE.states} <= tender_codes
    assert {lot_status(s) for s in ("active", "awarded", "complete", "unsuccessful", "cancelled")} <= tender_codes
    assert {contract_status(s) for s in ("pending", "active", "complete", "terminated", "cancelled")} <= contract_codes
    assert {t for tags in RELEASE_TAGS.values() for t in tags} <= codes("releaseTag.csv")


def test_complete_contract_publishes_as_terminated() -> None:
    assert _release(contract_status="complete")["contracts"][0]["status"] == "terminated"
    assert _release(contract_status="active")["contracts"][0]["status"] == "active"


def test_money_and_quantities_are_json_numbers_with_the_exact_digits() -> None:
    out = _release()
    text = json.dumps(out)

    assert out["tender"]["value"] == {"amount": 1500000.5, "currency": "UAH"}
    assert out["awards"][0]["value"]["amount"] == 900000.1
    assert out["contracts"][0]["items"][0]["unit"]["value"] == {"amount": 9.0001, "currency": "UAH"}
    assert out["tender"]["items"][1]["quantity"] == 2.5
    assert out["tender"]["items"][0]["quantity"] == 100000
    assert isinstance(out["tender"]["items"][0]["quantity"], int)
    assert '"amount": 900000.1,' in text
    assert "Decimal" not in text


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.00", 0), ("12.30", 12.3), ("99999999999.99", 99999999999.99), ("1E+3", 1000), ("-5.05", -5.05)],
)
def test_number_is_exact(amount: str, expected: float) -> None:
    got = number(Decimal(amount))
    assert got == expected
    assert Decimal(repr(got)) == Decimal(amount)


def test_number_refuses_what_a_double_cannot_hold() -> None:
    with pytest.raises(ValueError, match="exact"):
        number(Decimal("12345678901234567.89"))
    with pytest.raises(ValueError, match="finite"):
        number(Decimal("NaN"))


def test_dates_are_utc_with_whole_seconds() -> None:
    assert rfc3339(datetime(2026, 3, 2, 11, 0, 5, 999, tzinfo=UTC)) == "2026-03-02T11:00:05Z"
    assert rfc3339(datetime(2026, 3, 2, 11, 0, 5)) == "2026-03-02T11:00:05Z"


def test_nsn_is_an_additional_classification_with_scheme_nsn() -> None:
    out = _release()
    first, second = out["tender"]["items"]

    assert first["classification"] == {"scheme": "CPV", "id": "35330000-6", "description": "Ammunition"}
    assert first["additionalClassifications"] == [{"scheme": "NSN", "id": "1305-12-345-6789"}]
    assert "additionalClassifications" not in second
    assert first["unit"] == {"scheme": "UNCEFACT", "id": "H87", "name": "piece"}
    assert first["relatedLot"] == "lot-1"
    assert out["contracts"][0]["items"][0]["additionalClassifications"] == [{"scheme": "NSN", "id": "1305-12-345-6789"}]


def test_a_sealed_or_withdrawn_bid_never_appears() -> None:
    text = json.dumps(_release())

    for secret in ("b3", "b4", "777777.77", "SECRETCO", "WITHDRAWNCO", "33333333", "44444444", "666666.66"):
        assert secret not in text


def test_opened_bids_are_published_with_status_value_and_lots() -> None:
    out = _release()

    assert [b["id"] for b in out["bids"]["details"]] == ["b1", "b2"]
    assert out["bids"]["details"][1] == {
        "id": "b2",
        "date": "2026-03-02T19:00:00Z",
        "status": "disqualified",
        "tenderers": [{"id": "NCAGE-C1234", "name": "Foreign Munitions GmbH"}],
        "value": {"amount": 850000, "currency": "UAH"},
        "relatedLots": ["lot-1"],
    }
    assert out["tender"]["numberOfTenderers"] == 2
    assert out["awards"][0]["relatedBid"] == "b1"
    assert out["awards"][0]["relatedLots"] == ["lot-1"]


def test_before_opening_no_bid_and_no_bidder_count_is_published() -> None:
    out = release(before_opening(), change(7, 30, "QuestionAnswered"), NAMING)
    text = json.dumps(out)

    assert "bids" not in out
    assert "numberOfTenderers" not in out["tender"]
    assert "tenderers" not in out["tender"]
    assert [p["roles"] for p in out["parties"]] == [["buyer", "procuringEntity"]]
    for bid_id in ("b1", "b2", "b3", "b4"):
        assert f'"{bid_id}"' not in text
    assert out["tender"]["status"] == "active"


def test_parties_carry_every_role_once() -> None:
    roles = {p["id"]: p["roles"] for p in _release()["parties"]}

    assert roles == {
        "UA-EDR-43210987": ["buyer", "procuringEntity"],
        "UA-EDR-11111111": ["tenderer", "supplier"],
        "NCAGE-C1234": ["tenderer"],
    }


def test_enquiries_are_published_without_their_author() -> None:
    out = _release()

    assert out["tender"]["enquiries"] == [
        {
            "id": "q1",
            "date": "2026-03-02T11:00:00Z",
            "title": "Packaging?",
            "description": "Which packaging?",
            "answer": "Sealed tins",
            "dateAnswered": "2026-03-02T12:00:00Z",
            "relatedLot": "lot-1",
        }
    ]
    assert out["tender"]["hasEnquiries"] is True


def test_implementation_has_payments_and_delivery_milestones_but_no_delivery_place() -> None:
    impl = _release()["contracts"][0]["implementation"]

    assert impl["transactions"] == [
        {
            "id": "pay1",
            "date": "2026-03-05T22:00:00Z",
            "value": {"amount": 450000.05, "currency": "UAH"},
            "payer": {"id": "UA-EDR-43210987", "name": "Defence Procurement Agency"},
            "payee": {"id": "UA-EDR-11111111", "name": "Arsenal LLC"},
        }
    ]
    assert [(m["id"], m["type"], m["status"], m.get("dateMet")) for m in impl["milestones"]] == [
        ("d1", "delivery", "met", "2026-03-05T17:00:00Z"),
        ("d2", "delivery", "scheduled", None),
    ]
    assert "SECRETPLACE" not in json.dumps(impl)


def test_planning_and_procurement_method_come_from_plan_and_rulebook() -> None:
    out = _release()

    assert out["planning"]["budget"] == {
        "id": "KPKVK 2101020",
        "description": "KPKVK 2101020",
        "amount": {"amount": 1600000, "currency": "UAH"},
        "project": "Ammunition 2026",
    }
    assert out["tender"]["procurementMethod"] == "open"
    assert out["tender"]["procurementMethodDetails"] == "open"
    assert out["tender"]["tenderPeriod"] == {"startDate": "2026-03-02T09:00:00Z", "endDate": "2026-03-04T09:00:00Z"}
    assert out["tender"]["lots"][1] == {
        "id": "lot-2",
        "title": "Lot 2",
        "status": "unsuccessful",
        "value": {"amount": 500000.5, "currency": "UAH"},
    }


def test_contract_amendments_keep_their_rationale() -> None:
    assert _release()["contracts"][0]["amendments"] == [
        {
            "id": "am1",
            "date": "2026-03-05T07:00:00Z",
            "rationale": "market_price_change",
            "description": "Unit price corrected",
        }
    ]


def test_tags_of_one_change_are_the_union_in_order() -> None:
    assert release_tags("AwardMade", "LotAwarded", "TenderAwarded") == ("award",)
    assert release_tags("BidSubmitted", "AwardMade", "ContractCreated") == ("award", "contract")
    assert release_tags("BidSubmitted", "BidEvaluated", "TenderUpdated") is None


def test_a_change_that_is_not_public_has_no_release() -> None:
    with pytest.raises(ValueError, match="not published"):
        release(process(), change(1, 1, "BidSubmitted"), NAMING)


def test_a_draft_is_never_published() -> None:
    draft = process(tender_status="draft")
    with pytest.raises(ValueError, match="draft"):
        release(draft, change(1, 1, "TenderPublished"), NAMING)


def test_missing_organization_is_named() -> None:
    broken = replace(process(), organizations={})
    with pytest.raises(KeyError, match="o-buyer"):
        release(broken, change(1, 1, "TenderPublished"), NAMING)


@needs_schema
def test_hand_built_release_package_validates_against_the_official_schema() -> None:
    releases = [
        release(before_opening(), change(5, 1, "TenderPublished"), NAMING),
        _release(),
    ]
    package = release_package(
        releases,
        uri="https://example.org/ocds/p.json",
        published_date=datetime(2026, 3, 9, tzinfo=UTC),
        publisher=PUBLISHER,
    )

    assert package["extensions"] == list(EXTENSION_URLS)
    assert_valid(package, "release-package-schema.json")


def test_bare_dates_are_midnight_utc_and_periods_may_be_open() -> None:
    assert rfc3339(date(2026, 6, 1)) == "2026-06-01T00:00:00Z"
    assert period(None, None) is None
    assert period(datetime(2026, 3, 2, tzinfo=UTC)) == {"startDate": "2026-03-02T00:00:00Z"}


def test_packages_need_entries_and_a_named_publisher() -> None:
    when = datetime(2026, 3, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least one"):
        record_package([], uri="https://example.org/r.json", published_date=when, publisher=PUBLISHER)
    with pytest.raises(ValueError, match="name"):
        release_package([_release()], uri="https://example.org/r.json", published_date=when, publisher={})
    bare = release_package(
        [_release()], uri="https://example.org/r.json", published_date=when, publisher=PUBLISHER, extensions=()
    )
    assert "extensions" not in bare
    assert bare["version"] == "1.1"
    assert bare["publishedDate"] == "2026-03-09T00:00:00Z"

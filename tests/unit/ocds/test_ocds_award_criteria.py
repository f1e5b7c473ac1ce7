"""awardCriteria and awardCriteriaDetails of each award method (docs/award-methods.md), valid against OCDS 1.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quartermaster.ocds import release, release_package
from support.ocds_objects import NAMING, change, process
from support.ocds_schema import assert_valid, needs_schema


def _tender(criteria: str, method: str | None, weights: dict[str, str] | None) -> dict[str, object]:
    p = process()
    p.tender.award_criteria, p.tender.award_method, p.tender.award_weights = criteria, method, weights
    out: dict[str, object] = release(p, change(7, 1, "TenderPublished"), NAMING)["tender"]
    return out


def test_lowest_price_publishes_price_only_without_details() -> None:
    tender = _tender("priceOnly", None, None)
    assert tender["awardCriteria"] == "priceOnly"
    assert "awardCriteriaDetails" not in tender


def test_best_value_publishes_rated_criteria_with_the_rulebook_weights_by_default() -> None:
    tender = _tender("ratedCriteria", None, None)
    assert tender["awardCriteria"] == "ratedCriteria"
    assert tender["awardCriteriaDetails"] == (
        "Best value: the most points out of 100, weighted price 60 %, quality 40 %."  # 2026.1's defaults
    )


def test_best_value_publishes_the_tenders_own_weights_and_leaves_out_a_zero_weight() -> None:
    tender = _tender("ratedCriteria", "best_value", {"price": "0.45", "quality": "0.55", "delivery": "0"})
    assert (
        tender["awardCriteriaDetails"] == "Best value: the most points out of 100, weighted price 45 %, quality 55 %."
    )


def test_price_per_quality_point_is_rated_criteria_named_in_the_details() -> None:
    tender = _tender("ratedCriteria", "price_per_quality_point", None)
    assert tender["awardCriteria"] == "ratedCriteria"
    assert str(tender["awardCriteriaDetails"]).startswith("Price per quality point")


@needs_schema
@pytest.mark.parametrize("method", [None, "price_per_quality_point"])
def test_a_rated_release_validates_against_the_official_schema(method: str | None) -> None:
    p = process()
    p.tender.award_criteria, p.tender.award_method = "ratedCriteria", method
    package = release_package(
        [release(p, change(7, 1, "TenderPublished"), NAMING)],
        uri="https://example.org/ocds/p.json",
        published_date=datetime(2026, 3, 9, tzinfo=UTC),
        publisher={"name": "Quartermaster test publisher"},
    )
    assert_valid(package, "release-package-schema.json")

"""Canaries: a marked string in every field of the sample; only what the policy publishes exactly may come out.

Also: random unknown fields never leak (fail closed), and every projection stays valid OCDS 1.1.5.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from disclosure_samples import (
    AFTER,
    BEFORE,
    CANARY,
    CLASSIFIED,
    KEY,
    SIGNED,
    TEN_WORKING_DAYS,
    full_release,
    keys,
    may_show_verbatim,
    plant,
    strings,
)
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.codelists import load_codelists
from quartermaster.disclosure import Classification, Marking, load_policy, project
from quartermaster.ocds import release, release_package
from support.ocds_objects import NAMING, T0, before_opening, change
from support.ocds_schema import assert_valid, needs_schema

POLICY = load_policy()
FULL = full_release()
PLANTED = plant(FULL)
PLANTED_C1 = f"c1{CANARY}"


def _shown(out: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, value) for path, value in strings(out) if CANARY in value}


@pytest.mark.parametrize("at", [BEFORE, AFTER], ids=["before-10-working-days", "after-10-working-days"])
@pytest.mark.parametrize("marking", CLASSIFIED)
def test_a_canary_survives_only_where_the_policy_publishes_the_field_exactly(marking: Marking, at: datetime) -> None:
    classification = Classification(marking=marking, signed={PLANTED_C1: SIGNED})
    out = project(PLANTED, classification, POLICY, at=at, alias_key=KEY).release
    buyer = PLANTED["buyer"]["id"]

    shown = _shown(out)
    leaks = sorted(s for s in shown if not may_show_verbatim(POLICY, marking, *s, at, buyer_id=buyer))
    assert leaks == []
    # The other way round: everything the policy publishes exactly is there, unchanged.
    expected = {s for s in strings(PLANTED) if may_show_verbatim(POLICY, marking, *s, at, buyer_id=buyer)}
    assert shown == expected
    assert {"ocid", "tender.status", "tender.procurementMethod", "parties[].roles[]"} <= {p for p, _ in shown}


def test_the_unit_price_is_published_ten_working_days_after_signature_at_restricted() -> None:
    classification = Classification(marking="restricted", signed={PLANTED_C1: SIGNED})

    before = project(PLANTED, classification, POLICY, at=BEFORE).release
    after = project(PLANTED, classification, POLICY, at=AFTER).release

    assert "value" not in before["contracts"][0]["items"][0]["unit"]
    assert after["contracts"][0]["items"][0]["unit"]["value"] == {"amount": 9.0001, "currency": f"UAH{CANARY}"}
    assert after["contracts"][0]["items"][0]["classification"]["id"] == f"35330000-6{CANARY}"


@pytest.mark.parametrize("marking", [Marking.CONFIDENTIAL, Marking.SECRET])
def test_no_unit_price_of_a_state_secret_contract_is_ever_published(marking: Marking) -> None:
    classification = Classification(marking=marking, signed={PLANTED_C1: SIGNED})

    out = project(PLANTED, classification, POLICY, at=AFTER).release

    assert "value" not in out["contracts"][0]["items"][0].get("unit", {})
    assert "9.0001" not in repr(out)


def test_a_secret_contract_in_a_public_process_takes_its_award_winning_bid_and_supplier_with_it() -> None:
    classification = Classification(marking="public", contracts={PLANTED_C1: "secret"}, signed={PLANTED_C1: SIGNED})

    out = project(PLANTED, classification, POLICY, at=AFTER, alias_key=KEY).release

    def secret_only(node: Any, prefix: str) -> list[tuple[str, str]]:
        found = [(f"{prefix}.{p}", v) for p, v in strings(node) if CANARY in v]
        return [s for s in found if not may_show_verbatim(POLICY, Marking.SECRET, *s, AFTER)]

    assert secret_only(out["contracts"][0], "contracts[]") == []
    assert secret_only(out["awards"][0], "awards[]") == []
    # At secret not even the winning bid's existence is published; a losing bid on the same public lot stays public.
    assert out["bids"]["details"] == [PLANTED["bids"]["details"][1]]
    names = [p.get("name") for p in out["parties"]]
    assert names == [f"Defence Procurement Agency{CANARY}", None, f"Foreign Munitions GmbH{CANARY}"]
    assert out["tender"]["title"] == f"5.56 mm ammunition{CANARY}"  # the process itself is public
    # Totals over the process would give the secret contract away by subtraction.
    assert "value" not in out["tender"]
    assert "numberOfTenderers" not in out["tender"]
    assert "amount" not in out["planning"]["budget"]


# --- fail closed: fields nobody thought of ------------------------------------------------------------------------

EXTRA = "\u2063EXTRA"
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4).map(lambda s: s + EXTRA),
)
_extra_keys = st.text(max_size=4).map(lambda s: f"zz{s}")
_values = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_extra_keys, inner, max_size=3), max_leaves=6
)


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


@given(data=st.data())
def test_unknown_fields_anywhere_in_a_classified_process_never_leak(data: st.DataObject) -> None:
    rel = copy.deepcopy(FULL)
    targets = list(_objects(rel))
    for _ in range(data.draw(st.integers(1, 6), label="extras")):
        target = data.draw(st.sampled_from(targets))
        target[data.draw(_extra_keys)] = data.draw(_values)
    marking = data.draw(st.sampled_from(CLASSIFIED), label="marking")
    contract = data.draw(st.sampled_from([None, *Marking]), label="contract marking")
    at = data.draw(st.sampled_from([BEFORE, TEN_WORKING_DAYS, AFTER]), label="at")
    classification = Classification(marking=marking, contracts={"c1": contract}, signed={"c1": SIGNED})

    out = project(rel, classification, POLICY, at=at).release

    assert [k for k in keys(out) if k.startswith("zz")] == []
    assert [s for s in strings(out) if EXTRA in s[1]] == []


# --- every projection is valid OCDS --------------------------------------------------------------------------------


def _classifications() -> list[Classification]:
    signed = {"c1": SIGNED}
    return [
        *(Classification(marking=m, signed=signed) for m in Marking),
        Classification(marking="public", lots={"lot-1": "restricted"}, signed=signed),
        Classification(marking="restricted", contracts={"c1": "secret"}, items={"i2": "confidential"}, signed=signed),
    ]


@needs_schema
@pytest.mark.parametrize("classification", _classifications())
@pytest.mark.parametrize("at", [BEFORE, TEN_WORKING_DAYS, AFTER])
def test_every_projection_of_the_sample_validates_against_the_ocds_schema(
    classification: Classification, at: datetime
) -> None:
    releases = [FULL, release(before_opening(), change(7, 30, "TenderPeriodEnded"), NAMING)]
    projected = [
        project(r, classification, POLICY, at=at, alias_key=key, codelists=lists).release
        for r in releases
        for key, lists in ((None, None), (KEY, load_codelists()))
    ]

    for one in projected:  # one package each: a package's releases must differ (uniqueItems)
        package = release_package([one], uri="https://example.org/p", published_date=T0, publisher={"name": "t"})
        assert_valid(package, "release-package-schema.json")

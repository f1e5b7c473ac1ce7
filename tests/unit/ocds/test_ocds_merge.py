"""The OCDS merge rules: hand-compiled examples, Hypothesis properties, and agreement with the reference ocdsmerge."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartermaster.ocds import compiled_release, record, release
from quartermaster.ocds.merge import WHOLE_LIST_MERGE
from support.ocds_objects import NAMING, before_opening, change, process
from support.ocds_schema import SCHEMA_DIR, needs_schema

Json = dict[str, Any]
OCID = "ocds-test01-x"


def rel(n: int, date: str, **body: Any) -> Json:
    """A minimal release."""
    return {"ocid": OCID, "id": f"{OCID}-{n}", "date": date, "tag": ["tender"], "initiationType": "tender", **body}


def test_hand_compiled_worked_example() -> None:
    # The shape of the standard's worked example: a value corrected, then awards appended one by one.
    releases = [
        rel(1, "2026-01-01T00:00:00Z", tender={"id": "T", "value": {"amount": 1000, "currency": "USD"}}),
        rel(2, "2026-01-31T00:00:00Z", tender={"id": "T", "description": "Expanded description"}),
        rel(3, "2026-02-05T00:00:00Z", tender={"id": "T", "value": {"amount": 2000}}),
        rel(4, "2026-03-01T00:00:00Z", awards=[{"id": "A", "value": {"amount": 750}}]),
        rel(5, "2026-03-03T00:00:00Z", awards=[{"id": "B", "value": {"amount": 750}}]),
    ]

    assert compiled_release(list(reversed(releases))) == {
        "ocid": OCID,
        "id": f"{OCID}-2026-03-03T00:00:00Z",
        "date": "2026-03-03T00:00:00Z",
        "tag": ["compiled"],
        "initiationType": "tender",
        "tender": {"id": "T", "value": {"amount": 2000, "currency": "USD"}, "description": "Expanded description"},
        "awards": [{"id": "A", "value": {"amount": 750}}, {"id": "B", "value": {"amount": 750}}],
    }


def test_null_removes_a_field_and_literal_arrays_are_replaced() -> None:
    releases = [
        rel(
            1,
            "2026-01-01T00:00:00Z",
            tender={"id": "T", "title": "Old", "submissionMethod": ["electronicSubmission", "written"]},
        ),
        rel(2, "2026-01-02T00:00:00Z", tender={"id": "T", "title": None, "submissionMethod": ["inPerson"]}),
    ]

    assert compiled_release(releases)["tender"] == {"id": "T", "submissionMethod": ["inPerson"]}


def test_whole_list_merge_replaces_additional_classifications() -> None:
    first = {"id": "i1", "additionalClassifications": [{"scheme": "NSN", "id": "1"}, {"scheme": "X", "id": "2"}]}
    second = {"id": "i1", "additionalClassifications": [{"scheme": "NSN", "id": "3"}]}
    releases = [
        rel(1, "2026-01-01T00:00:00Z", tender={"id": "T", "items": [first]}),
        rel(2, "2026-01-02T00:00:00Z", tender={"id": "T", "items": [second]}),
    ]

    assert compiled_release(releases)["tender"]["items"] == [second]


def test_objects_without_id_are_appended() -> None:
    releases = [
        rel(1, "2026-01-01T00:00:00Z", contracts=[{"id": "C", "awardID": "A", "amendments": [{"description": "one"}]}]),
        rel(2, "2026-01-02T00:00:00Z", contracts=[{"id": "C", "awardID": "A", "amendments": [{"description": "two"}]}]),
    ]

    assert compiled_release(releases)["contracts"][0]["amendments"] == [{"description": "one"}, {"description": "two"}]


def test_an_object_and_an_array_at_one_path_are_refused() -> None:
    as_object = rel(1, "2026-01-01T00:00:00Z", awards={"id": "A", "title": "x"})
    as_array = rel(2, "2026-01-02T00:00:00Z", awards=[{"id": "A", "title": "y"}])
    with pytest.raises(ValueError, match="array in one release only"):
        compiled_release([as_object, as_array])
    as_literal = rel(1, "2026-01-01T00:00:00Z", tender="T")
    as_object_later = rel(2, "2026-01-02T00:00:00Z", tender={"id": "T"})
    with pytest.raises(ValueError, match="object in one release only"):
        compiled_release([as_literal, as_object_later])


def test_releases_of_two_processes_are_not_merged() -> None:
    with pytest.raises(ValueError, match="several processes"):
        compiled_release([rel(1, "2026-01-01T00:00:00Z"), {**rel(2, "2026-01-02T00:00:00Z"), "ocid": "other"}])
    with pytest.raises(ValueError, match="at least one"):
        compiled_release([])


def test_record_of_a_process_equals_the_hand_compiled_latest_state() -> None:
    releases = [
        release(before_opening(), change(3, 1, "TenderPublished"), NAMING),
        release(before_opening(), change(4, 5, "QuestionAnswered"), NAMING),
        release(process(contract_status="active"), change(9, 60, "ContractSigned"), NAMING),
        release(process(), change(12, 100, "ContractCompleted"), NAMING),
    ]
    latest = copy.deepcopy(releases[-1])
    expected = {**latest, "id": "ocds-test01-t1-2026-03-06T13:00:00Z", "tag": ["compiled"]}

    rec = record(releases, package_uri="https://example.org/p.json")

    assert rec["compiledRelease"] == expected
    assert rec["ocid"] == "ocds-test01-t1"
    assert [r["url"] for r in rec["releases"]] == [
        f"https://example.org/p.json#ocds-test01-t1-{n}" for n in (3, 4, 9, 12)
    ]
    assert rec["compiledRelease"]["contracts"][0]["status"] == "terminated"
    assert [b["id"] for b in rec["compiledRelease"]["bids"]["details"]] == ["b1", "b2"]


# --- properties -----------------------------------------------------------------------------------------------

IDS = st.sampled_from(["1", "2", "3"])
TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
DATES = st.sampled_from([f"2026-01-0{d}T00:00:00Z" for d in range(1, 6)])


def _obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries({}, optional=fields)


ITEM = st.builds(
    lambda i, body: {"id": i, **body},
    IDS,
    _obj(
        description=TEXT,
        quantity=st.integers(0, 3),
        additionalClassifications=st.lists(st.fixed_dictionaries({"scheme": st.just("NSN"), "id": IDS}), max_size=2),
        unit=_obj(id=TEXT, value=_obj(amount=st.integers(0, 9))),
    ),
)
AWARD = st.builds(
    lambda i, body: {"id": i, **body},
    IDS,
    _obj(status=TEXT, suppliers=st.lists(st.builds(lambda i, n: {"id": i, "name": n}, IDS, TEXT), max_size=2)),
)
RELEASE = st.builds(
    lambda n, date, body: rel(n, date, **body),
    st.integers(0, 99),
    DATES,
    _obj(
        tender=_obj(
            id=st.just("T"),
            title=TEXT,
            submissionMethod=st.lists(st.sampled_from(["written", "inPerson"]), max_size=2),
            items=st.lists(ITEM, max_size=3),
            value=_obj(amount=st.integers(0, 9), currency=st.just("UAH")),
        ),
        awards=st.lists(AWARD, max_size=3),
        parties=st.lists(
            st.builds(lambda i, r: {"id": i, "roles": r}, IDS, st.lists(st.sampled_from(["buyer", "supplier"]))),
            max_size=2,
        ),
    ),
)
RELEASES = st.lists(RELEASE, min_size=1, max_size=5)


@given(RELEASES)
def test_the_latest_value_of_a_field_wins(releases: list[Json]) -> None:
    compiled = compiled_release(releases)
    titles = [r["tender"]["title"] for r in sorted(releases, key=lambda r: r["date"]) if "title" in r.get("tender", {})]

    if titles and titles[-1] is not None:
        assert compiled["tender"]["title"] == titles[-1]
    else:
        assert "title" not in compiled.get("tender", {})


@given(RELEASES)
def test_objects_merge_by_id_in_order_of_first_appearance(releases: list[Json]) -> None:
    compiled = compiled_release(releases)
    seen = [a["id"] for r in sorted(releases, key=lambda r: r["date"]) for a in r.get("awards", [])]

    assert [a["id"] for a in compiled.get("awards", [])] == list(dict.fromkeys(seen))


@given(RELEASES)
def test_compiled_release_carries_no_release_metadata(releases: list[Json]) -> None:
    compiled = compiled_release(releases)
    latest = max(r["date"] for r in releases)

    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == latest
    assert compiled["id"] == f"{OCID}-{latest}"


@given(RELEASES, st.integers(1, 4))
def test_compiling_incrementally_equals_compiling_at_once(releases: list[Json], cut: int) -> None:
    ordered = sorted(releases, key=lambda r: r["date"])
    head, tail = ordered[:cut], ordered[cut:]
    partial = {**compiled_release(head), "id": "partial", "tag": ["tender"]}

    # Equal up to empty objects: a null leaf leaves its (now empty) parent object behind, as in the reference.
    assert _without_empty(compiled_release([partial, *tail])) == _without_empty(compiled_release(ordered))


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


@needs_schema
@pytest.mark.filterwarnings("ignore:Multiple objects have the `id` value")  # ocdsmerge warns on repeated ids
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(RELEASES)
def test_compiled_release_equals_the_reference_implementation(releases: list[Json]) -> None:
    ocdsmerge = pytest.importorskip("ocdsmerge", reason="ocdsmerge (the reference merge, from ocdskit) is absent")
    merger = ocdsmerge.Merger(str(SCHEMA_DIR / "release-schema.json"))

    assert compiled_release(copy.deepcopy(releases)) == merger.create_compiled_release(copy.deepcopy(releases))


@needs_schema
def test_whole_list_merge_paths_match_the_core_schema_plus_our_extensions() -> None:
    rules_module = pytest.importorskip("ocdsmerge.rules", reason="ocdsmerge (from ocdskit) is absent")
    rules = rules_module.get_merge_rules(str(SCHEMA_DIR / "release-schema.json"))
    core = {path for path, rule in rules.items() if rule == "wholeListMerge"}

    assert core <= WHOLE_LIST_MERGE
    assert WHOLE_LIST_MERGE - core == {
        ("bids", "details", "tenderers", "additionalIdentifiers"),
        ("tender", "enquiries", "author", "additionalIdentifiers"),
        ("awards", "relatedLots"),
        ("bids", "details", "relatedLots"),
    }

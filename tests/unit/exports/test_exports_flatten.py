"""Releases -> rows by flatten-tool's conventions: sheet names, identifying columns, joined arrays, column order."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import flattentool
import openpyxl
import pytest
from exports_support import process_releases, ukraine_releases

from quartermaster.exports import write_csv, write_xlsx
from quartermaster.exports.flatten import Layout, flatten, sub_sheet_name
from support.ocds_schema import needs_schema

RELEASE: dict[str, Any] = {
    "ocid": "ocds-x-1",
    "id": "ocds-x-1-7",
    "tag": ["award", "contract"],
    "tender": {
        "id": "t1",
        "title": "Rifles",
        "value": {"amount": 10.5, "currency": "UAH"},
        "items": [{"id": "i1", "additionalClassifications": [{"scheme": "NSN", "id": "1305"}], "quantity": 3}],
    },
    "awards": [
        {"id": "a1", "suppliers": [{"id": "s1", "name": "Arsenal"}, {"id": "s2", "name": "Other"}]},
        {"id": "a2", "status": "pending"},
    ],
}


@pytest.mark.parametrize(
    ("parent", "key", "sheet"),
    [
        ("", "parties", "parties"),
        ("tender/", "items", "ten_items"),
        ("awards/0/", "suppliers", "awa_suppliers"),
        ("tender/items/0/", "additionalClassifications", "ten_ite_additionalClassifications"),
        ("contracts/0/implementation/", "transactions", "con_imp_transactions"),
        ("bids/", "details", "bid_details"),
        ("x:y/", "a:b", "x-y_a-b"),
    ],
)
def test_sheet_names_cut_each_enclosing_step_to_three_letters(parent: str, key: str, sheet: str) -> None:
    assert sub_sheet_name(parent, key) == sheet


def test_a_release_becomes_a_main_row_and_one_row_per_array_member() -> None:
    rows = flatten(RELEASE)

    assert rows == [
        (
            "ten_ite_additionalClassifications",
            {
                "ocid": "ocds-x-1",
                "id": "ocds-x-1-7",
                "tender/id": "t1",
                "tender/items/0/id": "i1",
                "tender/items/0/additionalClassifications/0/id": "1305",
                "tender/items/0/additionalClassifications/0/scheme": "NSN",
            },
        ),
        (
            "ten_items",
            {
                "ocid": "ocds-x-1",
                "id": "ocds-x-1-7",
                "tender/id": "t1",
                "tender/items/0/id": "i1",
                "tender/items/0/quantity": 3,
            },
        ),
        (
            "awa_suppliers",
            {"ocid": "ocds-x-1", "id": "ocds-x-1-7", "awards/0/id": "a1", "awards/0/suppliers/0/id": "s1"}
            | {"awards/0/suppliers/0/name": "Arsenal"},
        ),
        (
            "awa_suppliers",
            {"ocid": "ocds-x-1", "id": "ocds-x-1-7", "awards/0/id": "a1", "awards/0/suppliers/0/id": "s2"}
            | {"awards/0/suppliers/0/name": "Other"},
        ),
        ("awards", {"ocid": "ocds-x-1", "id": "ocds-x-1-7", "awards/0/id": "a1"}),
        ("awards", {"ocid": "ocds-x-1", "id": "ocds-x-1-7", "awards/0/id": "a2", "awards/0/status": "pending"}),
        (
            "releases",
            {
                "ocid": "ocds-x-1",
                "id": "ocds-x-1-7",
                "tag": "award;contract",
                "tender/id": "t1",
                "tender/title": "Rifles",
                "tender/value/amount": 10.5,
                "tender/value/currency": "UAH",
            },
        ),
    ]


def test_identifying_columns_come_first_even_when_the_json_lists_them_last() -> None:
    late = {"tag": ["tender"], "date": "2026-01-01T00:00:00Z", "id": "r1", "ocid": "o1"}

    assert list(flatten(late)[0][1]) == ["ocid", "id", "tag", "date"]


def test_arrays_of_arrays_nulls_and_booleans_follow_flatten_tool() -> None:
    rows = flatten(
        {
            "ocid": "o",
            "id": "r",
            "geometry": {"coordinates": [[30.5, 50.4], [31, 51]]},
            "flags": [True, None],
            "empty": [],
            "nothing": None,
            "parties": [None, {"name": "no id"}],
        }
    )

    assert rows == [
        ("parties", {"ocid": "o", "id": "r", "parties/0/name": "no id"}),
        (
            "releases",
            {
                "ocid": "o",
                "id": "r",
                "geometry/coordinates": "30.5,50.4;31,51",
                "flags": "True;None",
                "empty": "",
                "nothing": None,
            },
        ),
    ]


def test_an_object_id_that_is_not_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="/tender/id: an identifier"):
        flatten({"ocid": "o", "id": "r", "tender": {"id": {"nested": 1}}})
    with pytest.raises(ValueError, match="/ocid: an identifier"):
        flatten({"ocid": ["o"], "id": "r"})


def test_an_array_mixing_objects_and_values_is_refused() -> None:
    with pytest.raises(ValueError, match="/awards: an array mixing"):
        flatten({"ocid": "o", "id": "r", "awards": [{"id": "a"}, "b"]})


def test_a_python_value_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValueError, match="/tender/when: a set is not a JSON value"):
        flatten({"ocid": "o", "id": "r", "tender": {"when": {1}}})


def test_layout_lists_the_main_sheet_first_then_the_others_by_name() -> None:
    layout = Layout()
    for sheet, row in flatten(RELEASE) + flatten({**RELEASE, "date": "2026-01-01T00:00:00Z", "language": "uk"}):
        layout.add(sheet, row)

    sheets = layout.sheets()
    assert [name for name, _ in sheets] == [
        "releases",
        "awa_suppliers",
        "awards",
        "ten_ite_additionalClassifications",
        "ten_items",
    ]
    assert sheets[0][1][-2:] == ["date", "language"]  # new columns are appended in the order first met


def _flatten_tool_csv(releases: list[dict[str, Any]], tmp_path: Path) -> dict[str, bytes]:
    source = tmp_path / "releases.json"
    source.write_text(json.dumps({"releases": releases}), encoding="utf-8")
    flattentool.flatten(
        str(source),
        output_name=str(tmp_path / "flat"),
        output_format="csv",
        root_list_path="releases",
        main_sheet_name="releases",
        root_id="ocid",
    )
    return {p.name: p.read_bytes() for p in (tmp_path / "flat").iterdir()}


@needs_schema
@pytest.mark.parametrize("data", [process_releases, ukraine_releases])
def test_csv_files_are_byte_for_byte_what_flatten_tool_writes(data: Any, tmp_path: Path) -> None:
    releases = data()
    out = io.BytesIO()
    write_csv(lambda: releases, out)

    with zipfile.ZipFile(out) as archive:
        ours = {name: archive.read(name) for name in archive.namelist()}
    theirs = _flatten_tool_csv(releases, tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert len(ours) > 10
    for name in theirs:
        assert ours[name] == theirs[name], name


@needs_schema
def test_xlsx_sheets_and_cells_are_what_flatten_tool_writes(tmp_path: Path) -> None:
    releases = ukraine_releases()
    source = tmp_path / "releases.json"
    source.write_text(json.dumps({"releases": releases}), encoding="utf-8")
    flattentool.flatten(
        str(source),
        output_name=str(tmp_path / "theirs.xlsx"),
        output_format="xlsx",
        root_list_path="releases",
        main_sheet_name="releases",
        root_id="ocid",
    )
    write_xlsx(lambda: releases, tmp_path / "ours.xlsx")

    ours, theirs = (openpyxl.load_workbook(tmp_path / f"{who}.xlsx") for who in ("ours", "theirs"))
    assert ours.sheetnames == theirs.sheetnames
    assert "awa_ite_additionalClassificatio" in ours.sheetnames  # cut to Excel's 31 characters
    for name in theirs.sheetnames:
        assert list(ours[name].values) == list(theirs[name].values), name

"""CSV (ZIP) and XLSX exports: flatten-tool unflattens them back to the releases; two passes in constant memory."""

from __future__ import annotations

import copy
import csv
import io
import json
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from exports_support import (
    Sink,
    extended_schema,
    normalised,
    process_releases,
    small_releases,
    ukraine_releases,
    unflatten,
)

from quartermaster.errors import Conflict
from quartermaster.exports import write_csv, write_xlsx
from support.ocds_schema import SCHEMA_DIR, needs_schema

Json = dict[str, Any]


def _csv_dir(releases: list[Json], directory: Path) -> Path:
    archive = directory / "releases.zip"
    with archive.open("wb") as out:
        write_csv(lambda: releases, out)
    with zipfile.ZipFile(archive) as z:
        z.extractall(directory / "csv")
    return directory / "csv"


def _xlsx(releases: list[Json], directory: Path) -> Path:
    path = directory / "releases.xlsx"
    write_xlsx(lambda: releases, path)
    return path


def _by_id(releases: list[Json]) -> dict[tuple[str, str], Json]:
    return {(r["ocid"], r["id"]): r for r in releases}


@needs_schema
@pytest.mark.parametrize("data", [process_releases, ukraine_releases], ids=["process", "ukraine"])
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_flatten_tool_unflattens_the_export_back_to_the_releases(data: Any, form: str, tmp_path: Path) -> None:
    releases = data()
    schema = extended_schema(releases, tmp_path)
    source = _csv_dir(releases, tmp_path) if form == "csv" else _xlsx(releases, tmp_path)

    back = unflatten(source, form, schema, tmp_path)

    assert len(back) == len(releases)
    assert normalised(_by_id(back), csv=form == "csv") == normalised(_by_id(releases), csv=form == "csv")


@needs_schema
def test_the_extended_schema_only_adds_fields(tmp_path: Path) -> None:
    # The round trip above types core fields by the official schema: the extension must not retype any of them.
    official = json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    extended = json.loads(extended_schema(process_releases(), tmp_path).read_text(encoding="utf-8"))

    assert extended["definitions"]["Value"] == official["definitions"]["Value"]
    assert extended["properties"]["tag"] == official["properties"]["tag"]
    assert "relatedLots" in extended["definitions"]["Award"]["properties"]
    assert "bids" in extended["properties"]


def test_csv_cells_keep_the_exact_text(tmp_path: Path) -> None:
    text = 'line one\r\nline two; with "quotes", commas'
    releases = [{"ocid": "o", "id": "r", "tender": {"id": "t", "description": text}}]

    directory = _csv_dir(releases, tmp_path)

    with (directory / "releases.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.DictReader(f)) == [{"ocid": "o", "id": "r", "tender/id": "t", "tender/description": text}]


def test_csv_zip_is_deterministic() -> None:
    releases = process_releases()
    first, second = io.BytesIO(), io.BytesIO()
    write_csv(lambda: releases, first)
    write_csv(lambda: releases, second)

    assert first.getvalue() == second.getvalue()


def test_xlsx_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    hostile = ['=HYPERLINK("http://evil","x")', "#N/A", "+1", "bell\x07char"]
    releases = [{"ocid": "o", "id": f"r{i}", "title": text} for i, text in enumerate(hostile)]

    sheet = openpyxl.load_workbook(_xlsx(releases, tmp_path))["releases"]

    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://evil","x")', "#N/A", "+1", "bellchar"]
    assert {c.data_type for c in cells} == {"s"}


def test_xlsx_numbers_stay_numbers_unless_a_cell_cannot_hold_every_digit(tmp_path: Path) -> None:
    values = [900000.1, 100000, Decimal("9.0001"), 0.1 + 0.2, Decimal("12345678901234567.89"), True]
    values += [12345678901234567, float("inf"), Decimal("NaN")]
    releases = [{"ocid": "o", "id": f"r{i}", "amount": v} for i, v in enumerate(values)]

    sheet = openpyxl.load_workbook(_xlsx(releases, tmp_path))["releases"]

    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        900000.1,
        100000,
        9.0001,
        "0.30000000000000004",
        "12345678901234567.89",
        True,
        "12345678901234567",
        "inf",
        "NaN",
    ]


def test_xlsx_accepts_a_binary_stream(tmp_path: Path) -> None:
    out = io.BytesIO()
    assert write_xlsx(lambda: process_releases(), out) == 6

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[0] == "releases"
    assert "parties" in workbook.sheetnames


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_progress_counts_both_passes(writer: Any) -> None:
    seen: list[int] = []

    written = writer(lambda: small_releases(30), io.BytesIO(), progress=seen.append)

    assert written == 30
    assert seen == list(range(1, 61))


def _changing(first: list[Json], second: list[Json]) -> Any:
    calls = iter([first, second])
    return lambda: next(calls)


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_column_that_appears_between_the_passes_is_refused(writer: Any) -> None:
    before = process_releases()
    after = copy.deepcopy(before)
    after[-1]["tender"]["eligibilityCriteria"] = "new"

    out = io.BytesIO()

    with pytest.raises(Conflict) as changed:
        writer(_changing(before, after), out)

    assert out.getvalue() == b""
    assert changed.value.code == "export.releases_changed"
    assert changed.value.fields == {"sheet": "releases", "columns": ["tender/eligibilityCriteria"]}


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_sheet_that_appears_between_the_passes_is_refused(writer: Any) -> None:
    before = [{"ocid": "o", "id": "r"}]
    after = [{"ocid": "o", "id": "r", "parties": [{"id": "p"}]}]

    with pytest.raises(Conflict, match="new sheet parties") as changed:
        writer(_changing(before, after), io.BytesIO())

    assert changed.value.fields == {"sheet": "parties", "columns": ["id", "ocid", "parties/0/id"]}


def test_a_failed_xlsx_export_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = process_releases()
    after = [*before, {"ocid": "o", "id": "r", "brandNew": 1}]

    with pytest.raises(Conflict):
        write_xlsx(_changing(before, after), io.BytesIO())

    assert list(tmp_path.iterdir()) == []


def test_a_successful_xlsx_export_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    write_xlsx(lambda: process_releases(), tmp_path / "out.xlsx")

    assert list((tmp_path / "tmp").iterdir()) == []


@needs_schema
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_no_releases_give_an_empty_main_sheet(form: str, tmp_path: Path) -> None:
    seen: list[int] = []
    if form == "csv":
        out = io.BytesIO()
        assert write_csv(list, out, progress=seen.append) == 0
        with zipfile.ZipFile(out) as archive:
            assert archive.namelist() == ["releases.csv"]
            assert archive.read("releases.csv") == b"\r\n"  # flatten-tool cannot read a file without a header line
            archive.extractall(tmp_path / "csv")
        source = tmp_path / "csv"
    else:
        source = tmp_path / "empty.xlsx"
        assert write_xlsx(list, source, progress=seen.append) == 0
        assert openpyxl.load_workbook(source).sheetnames == ["releases"]

    assert seen == []
    assert unflatten(source, form, SCHEMA_DIR / "release-schema.json", tmp_path) == []


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_spreadsheets_can_be_written_to_a_non_seekable_stream(writer: Any) -> None:
    sink = Sink(keep=True)
    writer(lambda: process_releases(), sink)

    assert sink.kept is not None
    with zipfile.ZipFile(io.BytesIO(bytes(sink.kept))) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) > 10


def _bulk(n: int) -> Iterator[Json]:
    for r in small_releases(n):
        r["parties"] = [{"id": f"UA-EDR-{i}", "name": f"Party {i}", "roles": ["tenderer"]} for i in range(3)]
        yield r


def _peak(writer: Any, n: int) -> int:
    sink = Sink()
    tracemalloc.start()
    try:
        assert writer(lambda: _bulk(n), sink) == n
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_spreadsheets_are_written_in_constant_memory(writer: Any) -> None:
    # Four times the releases (four rows each) must not raise the peak: holding 1,500 more releases or their rows
    # would add megabytes (their CSV text alone is about 450 kB). What stays is zlib's and the files' buffers.
    writer(lambda: _bulk(500), Sink())  # first-use allocations (imports, caches) are not the export's
    small, large = _peak(writer, 500), _peak(writer, 2_000)

    assert large < 1024 * 1024, f"peak {large} bytes"
    assert large - small < 64 * 1024, f"peak grew from {small} to {large} bytes"

"""JSON Lines and OCDS packages streamed one release at a time: valid packages, exact numbers, constant memory."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from exports_support import Sink, process_releases, small_releases

from quartermaster.errors import NotFound
from quartermaster.exports import PackageMeta, write_jsonl, write_record_package, write_release_package
from quartermaster.ocds import EXTENSION_URLS, record, record_package, release_package
from support.ocds_schema import assert_valid, errors, needs_schema

Json = dict[str, Any]
WHEN = datetime(2026, 3, 9, 12, 30, tzinfo=UTC)
PUBLISHER = {"name": "Quartermaster test publisher", "uri": "https://example.org"}
META = PackageMeta(uri="https://example.org/ocds/2026-03.json", published_date=WHEN, publisher=PUBLISHER)


def test_jsonl_writes_one_compact_release_per_line_and_counts_them() -> None:
    releases = process_releases()
    out = io.BytesIO()
    seen: list[int] = []

    count = write_jsonl(iter(releases), out, progress=seen.append)

    lines = out.getvalue().decode("utf-8").splitlines()
    assert count == len(releases) == len(lines)
    assert [json.loads(line) for line in lines] == releases
    assert seen == list(range(1, len(releases) + 1))


def test_jsonl_keeps_non_ascii_text_as_utf8() -> None:
    out = io.BytesIO()
    write_jsonl([{"ocid": "x", "title": "Стіл масажний"}], out)

    assert out.getvalue() == '{"ocid":"x","title":"Стіл масажний"}\n'.encode()


def test_jsonl_of_nothing_is_empty() -> None:
    out = io.BytesIO()
    seen: list[int] = []

    assert write_jsonl([], out, progress=seen.append) == 0
    assert out.getvalue() == b""
    assert seen == []


def test_release_package_equals_the_in_memory_package_key_for_key() -> None:
    releases = process_releases()
    out = io.BytesIO()

    count = write_release_package(iter(releases), out, meta=META)

    streamed = json.loads(out.getvalue())
    expected = release_package(releases, uri=META.uri, published_date=WHEN, publisher=PUBLISHER)
    assert count == len(releases)
    assert streamed == expected
    assert (
        list(streamed)
        == list(expected)
        == [
            "uri",
            "version",
            "publishedDate",
            "publisher",
            "license",
            "extensions",
            "releases",
        ]
    )
    assert streamed["publishedDate"] == "2026-03-09T12:30:00Z"
    assert streamed["extensions"] == list(EXTENSION_URLS)


def test_record_package_equals_the_in_memory_package() -> None:
    records = [record(process_releases())]
    out = io.BytesIO()
    seen: list[int] = []

    assert write_record_package(iter(records), out, meta=META, progress=seen.append) == 1

    expected = record_package(records, uri=META.uri, published_date=WHEN, publisher=PUBLISHER)
    assert json.loads(out.getvalue()) == expected
    assert seen == [1]


@needs_schema
def test_release_package_validates_against_the_official_schema() -> None:
    out = io.BytesIO()
    write_release_package(process_releases(), out, meta=META)

    assert_valid(json.loads(out.getvalue()), "release-package-schema.json")


@needs_schema
def test_record_package_validates_against_the_official_schema() -> None:
    releases = process_releases()
    linked = record(releases, package_uri=META.uri)
    out = io.BytesIO()
    write_record_package([record(releases), linked], out, meta=META)

    assert_valid(json.loads(out.getvalue()), "record-package-schema.json")


def test_package_progress_counts_every_release_written() -> None:
    seen: list[int] = []

    write_release_package(small_releases(25), io.BytesIO(), meta=META, progress=seen.append)

    assert seen == list(range(1, 26))


def test_package_puts_each_release_on_its_own_line() -> None:
    out = io.BytesIO()
    write_release_package(small_releases(3), out, meta=META)

    lines = out.getvalue().decode().splitlines()
    assert lines[0].endswith('"releases":[')
    assert [json.loads(line.rstrip(","))["id"] for line in lines[1:4]] == [r["id"] for r in small_releases(3)]
    assert lines[4:] == ["]}"]


@pytest.mark.parametrize("writer", [write_release_package, write_record_package])
def test_an_empty_package_is_refused_before_anything_is_written(writer: Any) -> None:
    # The package schemas set "minItems": 1 on releases and records: no empty package is valid.
    out = io.BytesIO()

    with pytest.raises(NotFound) as refused:
        writer(iter([]), out, meta=META)

    assert refused.value.code == "export.empty"
    assert out.getvalue() == b""


@needs_schema
def test_the_official_schemas_do_forbid_empty_packages() -> None:
    envelope = {"uri": META.uri, "version": "1.1", "publishedDate": "2026-03-09T12:30:00Z", "publisher": PUBLISHER}
    assert errors({**envelope, "releases": []}, "release-package-schema.json") != []
    assert errors({**envelope, "records": []}, "record-package-schema.json") != []


def test_meta_without_extensions_leaves_the_key_out_and_license_can_be_set() -> None:
    meta = PackageMeta(
        uri="https://example.org/p.json",
        published_date=WHEN,
        publisher={"name": "P"},
        license="https://opendatacommons.org/licenses/pddl/1.0/",
        extensions=(),
    )
    out = io.BytesIO()
    write_release_package(small_releases(1), out, meta=meta)

    package = json.loads(out.getvalue())
    assert "extensions" not in package
    assert package["license"] == "https://opendatacommons.org/licenses/pddl/1.0/"


def test_meta_needs_a_publisher_name() -> None:
    with pytest.raises(ValueError, match="name"):
        PackageMeta(uri="https://example.org/p.json", published_date=WHEN, publisher={"uri": "https://example.org"})


def test_exact_decimals_are_written_as_json_numbers() -> None:
    out = io.BytesIO()
    write_jsonl([{"amount": Decimal("900000.10"), "quantity": Decimal("100000"), "unit": Decimal("9.0001")}], out)

    assert out.getvalue() == b'{"amount":900000.1,"quantity":100000,"unit":9.0001}\n'


def test_a_decimal_no_json_number_holds_exactly_is_refused() -> None:
    with pytest.raises(ValueError, match="exact"):
        write_jsonl([{"amount": Decimal("12345678901234567.89")}], io.BytesIO())


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_and_infinity_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="JSON"):
        write_jsonl([{"amount": bad}], io.BytesIO())


def test_values_that_are_not_json_are_refused() -> None:
    with pytest.raises(TypeError, match="datetime"):
        write_jsonl([{"date": WHEN}], io.BytesIO())


@pytest.mark.parametrize("how", ["jsonl", "package"])
def test_twenty_thousand_releases_stream_in_constant_memory(how: str) -> None:
    # Holding the releases or the output would need megabytes; streaming needs a few kilobytes.
    sink = Sink()
    tracemalloc.start()
    try:
        if how == "jsonl":
            count = write_jsonl(small_releases(20_000), sink)
        else:
            count = write_release_package(small_releases(20_000), sink, meta=META)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 20_000
    assert sink.size > 4_000_000
    assert peak < 256 * 1024, f"peak {peak} bytes for {sink.size} bytes written"


def test_the_memory_test_would_catch_buffering() -> None:
    # The same measure on a writer that collects the releases first: the bound above must fail it.
    tracemalloc.start()
    try:
        held = list(small_releases(20_000))
        write_jsonl(held, Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak > 256 * 1024 * 10


def test_output_to_a_non_seekable_stream() -> None:
    sink = Sink(keep=True)
    write_release_package(small_releases(2), sink, meta=META)

    assert sink.kept is not None
    assert len(json.loads(bytes(sink.kept))["releases"]) == 2

"""JSON exports streamed one release at a time: JSON Lines, OCDS 1.1 release packages and record packages.

A package is written as its envelope (the same keys, in the same order, as ``quartermaster.ocds.package``), then
the entries one per line, then the closing brackets, so memory stays constant however many releases there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import chain
from typing import Any, BinaryIO

from quartermaster.errors import NotFound
from quartermaster.ocds.extensions import EXTENSION_URLS
from quartermaster.ocds.package import LICENSE, VERSION
from quartermaster.ocds.values import number, rfc3339

Json = dict[str, Any]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class PackageMeta:
    """What a package says about itself: where it is published, when, by whom, under which licence and extensions."""

    uri: str
    published_date: datetime
    publisher: Mapping[str, str]
    license: str = LICENSE
    extensions: Sequence[str] = EXTENSION_URLS

    def __post_init__(self) -> None:
        if "name" not in self.publisher:
            raise ValueError("publisher needs a name")


def _decimal(value: object) -> int | float:
    # Releases carry plain numbers (ocds.values.number); a Decimal is accepted only when a JSON number is exact.
    if isinstance(value, Decimal):
        return number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities are refused (they are not JSON), Decimals become exact numbers."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_decimal)
    return text.encode("utf-8")


def write_jsonl(releases: Iterable[Json], out: BinaryIO, *, progress: Progress | None = None) -> int:
    """Write one release per line (JSON Lines); ``progress`` gets the count written so far. Returns the count."""
    count = 0
    for release in releases:
        out.write(dumps(release) + b"\n")
        count += 1
        if progress is not None:
            progress(count)
    return count


def _envelope(meta: PackageMeta) -> Json:
    out: Json = {
        "uri": meta.uri,
        "version": VERSION,
        "publishedDate": rfc3339(meta.published_date),
        "publisher": dict(meta.publisher),
        "license": meta.license,
    }
    if meta.extensions:
        out["extensions"] = list(meta.extensions)
    return out


def _write_package(
    key: str, entries: Iterable[Json], out: BinaryIO, meta: PackageMeta, progress: Progress | None
) -> int:
    items: Iterator[Json] = iter(entries)
    first = next(items, None)
    if first is None:
        # The package schemas require at least one entry ("minItems": 1), so there is no valid empty package.
        raise NotFound(f"nothing to export: an OCDS package needs at least one entry in `{key}`", code="export.empty")
    head = dumps(_envelope(meta))
    out.write(head[:-1] + b',"' + key.encode() + b'":[\n')
    count = 0
    for entry in chain((first,), items):
        if count:
            out.write(b",\n")
        out.write(dumps(entry))
        count += 1
        if progress is not None:
            progress(count)
    out.write(b"\n]}\n")
    return count


def write_release_package(
    releases: Iterable[Json], out: BinaryIO, *, meta: PackageMeta, progress: Progress | None = None
) -> int:
    """Stream an OCDS 1.1 release package; NotFound (code ``export.empty``) before writing anything if none."""
    return _write_package("releases", releases, out, meta, progress)


def write_record_package(
    records: Iterable[Json], out: BinaryIO, *, meta: PackageMeta, progress: Progress | None = None
) -> int:
    """Stream an OCDS 1.1 record package of already compiled records; NotFound (``export.empty``) if none."""
    return _write_package("records", records, out, meta, progress)

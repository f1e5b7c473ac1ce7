"""OCDS 1.1 release packages and record packages (the envelope: uri, publisher, date, version, extensions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from quartermaster.ocds.extensions import EXTENSION_URLS
from quartermaster.ocds.values import rfc3339

Json = dict[str, Any]

VERSION = "1.1"
# Open data licence of the published packages (Open Definition conformant).
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def _package(
    key: str,
    entries: Sequence[Json],
    *,
    uri: str,
    published_date: datetime,
    publisher: Mapping[str, str],
    extensions: Sequence[str],
) -> Json:
    if not entries:
        raise ValueError(f"an OCDS package needs at least one entry in `{key}`")
    if "name" not in publisher:
        raise ValueError("publisher needs a name")
    out: Json = {
        "uri": uri,
        "version": VERSION,
        "publishedDate": rfc3339(published_date),
        "publisher": dict(publisher),
        "license": LICENSE,
    }
    if extensions:
        out["extensions"] = list(extensions)
    out[key] = list(entries)
    return out


def release_package(
    releases: Sequence[Json],
    *,
    uri: str,
    published_date: datetime,
    publisher: Mapping[str, str],
    extensions: Sequence[str] = EXTENSION_URLS,
) -> Json:
    """A release package around one or more releases."""
    return _package(
        "releases", releases, uri=uri, published_date=published_date, publisher=publisher, extensions=extensions
    )


def record_package(
    records: Sequence[Json],
    *,
    uri: str,
    published_date: datetime,
    publisher: Mapping[str, str],
    extensions: Sequence[str] = EXTENSION_URLS,
) -> Json:
    """A record package around one or more records."""
    return _package(
        "records", records, uri=uri, published_date=published_date, publisher=publisher, extensions=extensions
    )

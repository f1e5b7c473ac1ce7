"""Validate OCDS packages against the official 1.1.5 schemas kept beside the repository (never copied into it)."""

from __future__ import annotations

import csv
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parents[2]
# The official schemas live in shared/ beside the repository; QM_SHARED_DIR overrides.
SCHEMA_DIR = Path(os.environ.get("QM_SHARED_DIR", ROOT.parent / "shared")) / "ocds-data" / "ocds-1.1.5-schema"
SCHEMA_FILES = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)

needs_schema = pytest.mark.skipif(
    not (SCHEMA_DIR / "release-package-schema.json").is_file(),
    reason=f"official OCDS 1.1.5 schemas not present at {SCHEMA_DIR}",
)


def load(name: str) -> dict[str, Any]:
    """One of the official schema files, parsed."""
    data: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return data


@cache
def registry() -> Registry:
    """Every schema file under its canonical `id` URL, so `$ref`s resolve offline."""
    resources = [(load(n)["id"], Resource.from_contents(load(n), default_specification=DRAFT4)) for n in SCHEMA_FILES]
    return Registry().with_resources(resources)


# RFC 3339 date-time (jsonschema checks it only when optional packages are installed, so check it here).
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.IGNORECASE)


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time")
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.fullmatch(value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))

    return checker


@cache
def validator(name: str) -> Draft4Validator:
    """A Draft 4 validator for a package schema, also checking date-time and uri formats."""
    return Draft4Validator(load(name), registry=registry(), format_checker=_format_checker())


def errors(package: dict[str, Any], schema: str) -> list[str]:
    """Every validation error, as "path: message" lines (empty when valid)."""
    found = sorted(validator(schema).iter_errors(package), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in found]


def assert_valid(package: dict[str, Any], schema: str) -> None:
    """Fail with the first errors if the package does not validate."""
    found = errors(package, schema)
    assert found == [], f"{len(found)} schema errors, first: " + "\n".join(found[:10])


@cache
def codes(codelist: str) -> frozenset[str]:
    """The codes of one of the official codelists (e.g. "milestoneType.csv")."""
    with (SCHEMA_DIR / "codelists" / codelist).open(encoding="utf-8") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f))

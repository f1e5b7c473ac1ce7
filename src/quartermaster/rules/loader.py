"""Read rulebook TOML files, validate them, and pick the version that governs a tender.

Each file is ``rulebook-<version>.toml``. The comment that cites a period's source (same line, or the comment
lines directly above) becomes that ``PeriodRule.source``, so the citation lives in exactly one place and still
reaches error messages at run time.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from quartermaster.errors import RuleViolation
from quartermaster.rules.model import PERIOD_NAMES, Rulebook
from quartermaster.rules.validate import validate_rulebook

_KEY_LINE = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_-]+)\s*=')
_HEADER = re.compile(r"^\[([^\]]*)\]")
_HEADER_PART = re.compile(r'"([^"]*)"|([A-Za-z0-9_-]+)')


def _comment_of(line: str) -> str:
    """The text after the first ``#`` that is not inside a double-quoted string, or ``""``."""
    in_string = escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return line[index + 1 :].strip()
    return ""


def line_comments(text: str) -> dict[tuple[str, ...], str]:
    """Map each ``key = value`` line's dotted path to its comment (same line, else the lines above)."""
    table: tuple[str, ...] = ()
    pending: list[str] = []
    found: dict[tuple[str, ...], str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        if header := _HEADER.match(stripped):
            table = tuple(a or b for a, b in _HEADER_PART.findall(header.group(1)))
        elif match := _KEY_LINE.match(line):
            key = match.group(1).strip('"')
            found[(*table, key)] = _comment_of(line) or " ".join(pending)
        pending = []
    return found


def _attach_sources(raw: dict[str, Any], comments: Mapping[tuple[str, ...], str]) -> None:
    procedures = raw.get("procedures")
    if not isinstance(procedures, dict):
        return
    for name, body in procedures.items():
        if not isinstance(body, dict):
            continue
        for key, value in body.items():
            is_period = key in PERIOD_NAMES or (isinstance(value, dict) and "days" in value)
            if is_period and isinstance(value, dict) and "source" not in value:
                value["source"] = comments.get(("procedures", name, key), "")


def parse_rulebook(text: str, *, origin: str) -> Rulebook:
    """Parse and validate one rulebook file's text; ``origin`` (the file name) is used in error messages."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RuleViolation(
            f"{origin}: not valid TOML: {exc}",
            code="rule.invalid_rulebook",
            origin=origin,
            problems=[str(exc)],
        ) from exc
    _attach_sources(raw, line_comments(text))
    book = validate_rulebook(raw, origin=origin)
    expected = f"rulebook-{book.version}.toml"
    if Path(origin).name != expected and not origin.startswith("<"):
        raise RuleViolation(
            f"{origin}: version {book.version} must live in {expected}",
            code="rule.invalid_rulebook",
            origin=origin,
            problems=[f"{origin}: version: file name must be {expected}"],
        )
    return book


def _check_unique(books: Sequence[Rulebook]) -> None:
    for attr in ("version", "effective_from"):
        seen: dict[object, Rulebook] = {}
        for book in books:
            value = getattr(book, attr)
            if value in seen:
                raise RuleViolation(
                    f"two rulebooks share {attr} {value}: {seen[value].version} and {book.version}",
                    code="rule.invalid_rulebook",
                    problems=[f"{attr} {value} is not unique"],
                )
            seen[value] = book


def _package_files() -> Iterable[tuple[str, str]]:
    for entry in resources.files("quartermaster.rules").iterdir():
        if entry.name.endswith(".toml"):
            yield entry.name, entry.read_text(encoding="utf-8")


@functools.cache
def _load(directory: Path | None) -> tuple[Rulebook, ...]:
    if directory is None:
        files = list(_package_files())
    else:
        files = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.toml"))]
    books = sorted((parse_rulebook(text, origin=name) for name, text in files), key=lambda b: b.effective_from)
    if not books:
        raise RuleViolation(f"no rulebook files found in {directory or 'the package'}", code="rule.no_rulebook")
    _check_unique(books)
    return tuple(books)


def load_rulebooks(directory: Path | None = None) -> tuple[Rulebook, ...]:
    """All rulebook versions in ``directory`` (default: the package's own), oldest first; cached."""
    return _load(None if directory is None else directory.resolve())


def _as_date(when: datetime | date) -> date:
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"when must be timezone-aware (UTC), got naive {when.isoformat()}")
        return when.astimezone(UTC).date()
    return when


def rulebook_for(when: datetime | date, books: Sequence[Rulebook] | None = None) -> Rulebook:
    """The latest version in force at ``when`` (effective_from <= the UTC date of ``when``)."""
    day = _as_date(when)
    candidates = [b for b in (load_rulebooks() if books is None else books) if b.effective_from <= day]
    if not candidates:
        raise RuleViolation(
            f"no rulebook is in force on {day.isoformat()}", code="rule.no_rulebook", when=day.isoformat()
        )
    return max(candidates, key=lambda b: b.effective_from)


def rulebook_version(version: str, books: Sequence[Rulebook] | None = None) -> Rulebook:
    """The rulebook with exactly this version; ``RuleViolation(code="rule.unknown_version")`` if none."""
    available = load_rulebooks() if books is None else books
    for book in available:
        if book.version == version:
            return book
    known = [b.version for b in available]
    raise RuleViolation(
        f"unknown rulebook version '{version}'; known: {', '.join(known)}",
        code="rule.unknown_version",
        version=version,
        known=known,
    )

"""Validate CPV codes, units of measure and currencies against loaded code lists."""

from __future__ import annotations

import re
from typing import Final

from quartermaster.codelists.models import CodeLists, CpvEntry, UnitEntry

__all__ = ["cpv_division", "validate_cpv", "validate_currency", "validate_unit"]

_CPV_RE: Final = re.compile(r"[0-9]{8}-[0-9]")
_CPV_PREFIX_RE: Final = re.compile(r"[0-9]{8}(-[0-9])?")


def _ascii_upper(code: str) -> str:
    stripped = code.strip()
    return stripped.upper() if stripped.isascii() else stripped  # "ﬀ".upper() is "FF": refuse, don't map


def cpv_division(code: str) -> str:
    """Return the CPV division (first two digits) of ``35300000-7`` or ``35300000``."""
    code = code.strip()
    if not _CPV_PREFIX_RE.fullmatch(code):
        raise ValueError(f"CPV code must look like 35300000-7, got {code!r}")
    return code[:2]


def validate_cpv(code: str, lists: CodeLists) -> CpvEntry:
    """Return the CPV entry for ``35300000-7``; the check digit is verified by lookup, never computed."""
    # The published CPV check digits do not follow the documented formula, so only the list can tell.
    code = code.strip()
    if not _CPV_RE.fullmatch(code):
        raise ValueError(f"CPV code must be 8 digits, a dash and a check digit (35300000-7), got {code!r}")
    entry = lists.cpv(code)
    if entry is not None:
        return entry
    listed = lists.cpv_by_code8.get(code[:8])
    if listed is not None:
        raise ValueError(f"CPV code {code} has the wrong check digit; the list has {listed.code}")
    raise ValueError(f"CPV code {code} is not in the loaded CPV list ({lists.sources.get('cpv', '?')})")


def validate_unit(code: str, lists: CodeLists) -> UnitEntry:
    """Return the UN/CEFACT Rec 20 unit for a code such as ``H87`` (case-insensitive)."""
    normalized = _ascii_upper(code)
    entry = lists.unit(normalized)
    if entry is None:
        known = ", ".join(sorted(lists.units_by_code))
        raise ValueError(f"unit {code.strip()!r} is not in the loaded UN/CEFACT Rec 20 list ({known})")
    return entry


def validate_currency(code: str, lists: CodeLists) -> str:
    """Return the ISO 4217 code (upper-cased) if it is in the loaded currency list."""
    normalized = _ascii_upper(code)
    if not lists.currency(normalized):
        raise ValueError(f"currency {code.strip()!r} is not in the loaded ISO 4217 list")
    return normalized

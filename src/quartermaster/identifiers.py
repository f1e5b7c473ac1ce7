"""Organization identifiers: syntax and check-digit validation for the org-id schemes Quartermaster accepts.

Scheme names follow org-id.guide (``UA-EDR``, ``GB-COH``, ``US-EIN``, ``XI-LEI``), plus ``NCAGE`` for NATO
Commercial and Government Entity codes and ``UA-IPN`` for Ukrainian individual tax numbers. Every validator
strips surrounding whitespace, returns the canonical form and raises ``ValueError`` with a one-line message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "IDENTIFIER_SCHEMES",
    "edrpou_check_digit",
    "ncage_assigner",
    "validate_edrpou",
    "validate_gb_coh",
    "validate_identifier",
    "validate_lei",
    "validate_ncage",
    "validate_ua_ipn",
    "validate_us_ein",
]

_EDRPOU_WEIGHTS: Final = (1, 2, 3, 4, 5, 6, 7)
_EDRPOU_WEIGHTS_30M_60M: Final = (7, 1, 2, 3, 4, 5, 6)

# NCAGE alphabet: digits and capital letters except I and O (kept out to avoid confusion with 1 and 0).
_NCAGE_RE: Final = re.compile(r"[0-9A-HJ-NP-Z]{5}")

# Assigning nation by NCAGE structure (# = digit, * = any, a letter is literal), from NSPA's CodSP-3
# "NCS Country Codes" table. PARTIAL: only the rows we could read and verify are listed; a code matching none
# of them is still accepted, because other nations use other structures.
_NCAGE_STRUCTURES: Final[tuple[tuple[str, str], ...]] = (
    ("#***#", "United States (or Canada, codes created before 2002)"),
    ("L***#", "Canada"),
    ("C***#", "Germany"),
    ("D***#", "Germany"),
    ("F***#", "France"),
    ("M***#", "France"),
    ("S***#", "NSPA (nations without their own range, and Iceland)"),
    ("B***#", "Belgium (also for Luxembourg)"),
    ("A***#", "Italy"),
    ("G***#", "Greece"),
    ("R***#", "Denmark"),
    ("J***#", "Japan"),
    ("W***#", "Argentina"),
    ("Z***#", "Australia"),
    ("#***N", "Austria"),
    ("#***K", "Brazil"),
    ("#***U", "Bulgaria"),
    ("#***G", "Czech Republic"),
    ("#***D", "Egypt"),
    ("#***J", "Estonia"),
    ("#***V", "Hungary"),
    ("#***Y", "India"),
    ("#***Z", "Indonesia"),
    ("#***A", "Israel"),
    ("A***H", "Albania"),
    ("A***B", "Croatia"),
    ("A***G", "Finland"),
    ("A***R", "Georgia"),
)

_LEI_RE: Final = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_GB_COH_RE: Final = re.compile(r"[0-9A-Z]{8}")
_US_EIN_RE: Final = re.compile(r"([0-9]{2})-?([0-9]{7})")


def _ascii_upper(code: str) -> str:
    """Strip and upper-case ASCII input; leave the rest for the pattern to refuse (``"ß".upper()`` is SS)."""
    stripped = code.strip()
    return stripped.upper() if stripped.isascii() else stripped


def edrpou_check_digit(first7: str) -> int:
    """Return the EDRPOU check digit for the first seven digits of a code."""
    if len(first7) != 7 or not first7.isascii() or not first7.isdigit():
        raise ValueError(f"EDRPOU check digit needs 7 digits, got {first7!r}")
    # Codes from 30,000,000 up to (not including) 60,000,000 use the shifted weights; on the full 8-digit
    # value that is exactly "first digit is 3, 4 or 5".
    weights = _EDRPOU_WEIGHTS_30M_60M if first7[0] in "345" else _EDRPOU_WEIGHTS
    digits = [int(ch) for ch in first7]
    remainder = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
    if remainder == 10:
        remainder = sum((w + 2) * d for w, d in zip(weights, digits, strict=True)) % 11
    return 0 if remainder == 10 else remainder


def validate_edrpou(code: str) -> str:
    """Validate a Ukrainian EDRPOU (ЄДРПОУ) code: 8 digits, the last a mod-11 check digit."""
    code = code.strip()
    if len(code) != 8 or not code.isascii() or not code.isdigit():
        raise ValueError(f"EDRPOU must be 8 digits, got {code!r}")
    expected = edrpou_check_digit(code[:7])
    if int(code[7]) != expected:
        raise ValueError(f"EDRPOU {code} has check digit {code[7]}, expected {expected}")
    return code


def _structure_matches(structure: str, code: str) -> bool:
    for pattern_ch, ch in zip(structure, code, strict=True):
        if pattern_ch == "#" and not ch.isdigit():
            return False
        if pattern_ch not in "#*" and pattern_ch != ch:
            return False
    return True


def ncage_assigner(code: str) -> str | None:
    """Name the nation whose NCAGE structure the code matches, or None when the (partial) table has none."""
    normalized = _ascii_upper(code)
    if not _NCAGE_RE.fullmatch(normalized):
        return None
    for structure, assigner in _NCAGE_STRUCTURES:
        if _structure_matches(structure, normalized):
            return assigner
    return None


def validate_ncage(code: str) -> str:
    """Validate an NCAGE code's syntax: 5 characters, digits and capital letters except I and O.

    Enforced: the length and the alphabet only (input is upper-cased first). Not enforced: the per-nation
    structures (US ``#***#``, Germany ``C***#``/``D***#``, France ``F***#``/``M***#``, NSPA ``S***#``, ...);
    NSPA's table also has structures ending in a letter (Austria ``#***N``, Albania ``A***H``), so no rule on
    the first or last character holds for every nation. Use ``ncage_assigner`` to name a known assigner.
    """
    normalized = _ascii_upper(code)
    if len(normalized) != 5:
        raise ValueError(f"NCAGE must be 5 characters, got {code.strip()!r}")
    if not _NCAGE_RE.fullmatch(normalized):
        raise ValueError(f"NCAGE may hold only digits and letters other than I and O, got {code.strip()!r}")
    return normalized


def validate_lei(code: str) -> str:
    """Validate a Legal Entity Identifier (ISO 17442): 18 alphanumerics + 2 check digits, mod 97 equals 1."""
    normalized = _ascii_upper(code)
    if not _LEI_RE.fullmatch(normalized):
        raise ValueError(f"LEI must be 18 letters/digits followed by 2 digits, got {code.strip()!r}")
    # ISO 7064 MOD 97-10 as used by ISO 17442: letters become 10..35, the whole number mod 97 must be 1.
    if int("".join(str(int(ch, 36)) for ch in normalized)) % 97 != 1:
        raise ValueError(f"LEI {normalized} fails the ISO 17442 mod-97 check")
    return normalized


def validate_ua_ipn(code: str) -> str:
    """Validate a Ukrainian individual tax number (РНОКПП) by form only: exactly 10 digits."""
    code = code.strip()
    if len(code) != 10 or not code.isascii() or not code.isdigit():
        raise ValueError(f"UA-IPN must be 10 digits, got {code!r}")
    return code


def validate_gb_coh(code: str) -> str:
    """Validate a UK Companies House number by form: 8 letters/digits, leading zeros included."""
    normalized = _ascii_upper(code)
    if not _GB_COH_RE.fullmatch(normalized):
        raise ValueError(f"GB-COH must be 8 letters or digits (keep leading zeros), got {code.strip()!r}")
    return normalized


def validate_us_ein(code: str) -> str:
    """Validate a US Employer Identification Number (9 digits, or written 12-3456789); return 9 digits."""
    match = _US_EIN_RE.fullmatch(code.strip())
    if match is None:
        raise ValueError(f"US-EIN must be 9 digits (12-3456789), got {code.strip()!r}")
    return match.group(1) + match.group(2)


_VALIDATORS: Final[Mapping[str, Callable[[str], str]]] = MappingProxyType(
    {
        "UA-EDR": validate_edrpou,
        "NCAGE": validate_ncage,
        "UA-IPN": validate_ua_ipn,
        "GB-COH": validate_gb_coh,
        "US-EIN": validate_us_ein,
        "XI-LEI": validate_lei,
    }
)

IDENTIFIER_SCHEMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "UA-EDR": "Ukraine, EDRPOU (ЄДРПОУ) legal-entity code; check digit verified",
        "NCAGE": "NATO Commercial and Government Entity code; syntax verified",
        "UA-IPN": "Ukraine, individual tax number (РНОКПП); 10 digits, check digit not verified",
        "GB-COH": "United Kingdom, Companies House number; form verified",
        "US-EIN": "United States, Employer Identification Number; form verified",
        "XI-LEI": "Global Legal Entity Identifier (ISO 17442); check digits verified",
    }
)


def validate_identifier(scheme: str, identifier: str) -> str:
    """Validate an identifier under an org-id scheme, whitespace removed; return its canonical form."""
    key = scheme.strip().upper()
    validator = _VALIDATORS.get(key)
    if validator is None:
        accepted = ", ".join(IDENTIFIER_SCHEMES)
        raise ValueError(f"unknown identifier scheme {scheme!r}; accepted: {accepted}")
    return validator("".join(identifier.split()))

"""Leaf data for JSON values: RFC 8785 (JCS) canonical bytes, so every honest implementation hashes the same bytes."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from quartermaster.transparency.errors import CanonicalizationError
from quartermaster.transparency.merkle import leaf_hash

_SAFE_INT = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 JSON of ``value`` (sorted keys, no whitespace, ECMAScript number form).

    Only JSON types are accepted: dict with str keys, list/tuple, str, int within +-(2**53 - 1), finite float, bool,
    None. Decimals and datetimes must be turned into strings first (RFC 8785 §3.2.2.3 numbers are IEEE 754 doubles).

    Values on which the standard library's encoder already writes the RFC 8785 bytes (see ``_plain``) take that
    C-speed path; everything else goes through the reference encoder. A property test holds the two equal.
    """
    if _plain(value):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: not valid Unicode, the reference encoder says so
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(f"value has no RFC 8785 canonical form: {exc}") from None


def _plain(value: Any) -> bool:
    """Whether ``json.dumps(sort_keys=True, compact, ensure_ascii=False)`` of ``value`` is its RFC 8785 form.

    It is when every key is ASCII (code-point order is then UTF-16 order), every int is a safe integer, and every
    float is one whose shortest repr Python and ECMAScript write alike: not integral (Python writes ``1.0``,
    ECMAScript ``1``) and of magnitude in [1e-4, 1e16) (outside it Python switches to exponent form at other
    bounds than ECMAScript). Strings are escaped alike (the same short escapes, lowercase ``\\u00xx`` otherwise).
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                stack.append(member)
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        elif kind is float:
            if not 1e-4 <= abs(item) < 1e16 or item.is_integer():
                return False
        else:
            return False
    return True


def leaf_of_json(value: Any) -> bytes:
    """The log leaf data for a JSON value: its RFC 8785 canonical bytes (hash them with ``leaf_hash``)."""
    return canonical_json(value)


def leaf_hash_of_json(value: Any) -> bytes:
    """The RFC 9162 leaf hash of a JSON value: SHA-256(0x00 || RFC 8785 canonical JSON)."""
    return leaf_hash(canonical_json(value))

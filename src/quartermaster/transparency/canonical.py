"""Leaf data for JSON values: RFC 8785 (JCS) canonical bytes, so every honest implementation hashes the same bytes."""

from __future__ import annotations

from typing import Any

import rfc8785

from quartermaster.transparency.errors import CanonicalizationError
from quartermaster.transparency.merkle import leaf_hash


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 JSON of ``value`` (sorted keys, no whitespace, ECMAScript number form).

    Only JSON types are accepted: dict with str keys, list/tuple, str, int within +-(2**53 - 1), finite float, bool,
    None. Decimals and datetimes must be turned into strings first (RFC 8785 §3.2.2.3 numbers are IEEE 754 doubles).
    """
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(f"value has no RFC 8785 canonical form: {exc}") from None


def leaf_of_json(value: Any) -> bytes:
    """The log leaf data for a JSON value: its RFC 8785 canonical bytes (hash them with ``leaf_hash``)."""
    return canonical_json(value)


def leaf_hash_of_json(value: Any) -> bytes:
    """The RFC 9162 leaf hash of a JSON value: SHA-256(0x00 || RFC 8785 canonical JSON)."""
    return leaf_hash(canonical_json(value))

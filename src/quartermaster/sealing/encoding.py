"""Canonical bytes of envelopes: RFC 8785 JSON with binary fields in unpadded base64url (RFC 4648 §5).

Why JSON and not CBOR: the transparency log already hashes RFC 8785 JSON (``transparency.canonical``), the browser
writes the same bytes with ``JSON.stringify`` over sorted keys (RFC 8785's string and small-integer forms are
ECMAScript's), and no new dependency is needed. Parsing is strict: a document is accepted only if it is already in
canonical form, so one envelope has exactly one byte string and therefore exactly one commitment.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from quartermaster.sealing.errors import InvalidArgumentError, MalformedEnvelopeError
from quartermaster.transparency.canonical import canonical_json
from quartermaster.transparency.errors import CanonicalizationError

MAX_IDENTIFIER_LENGTH = 200
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text of ``data`` (RFC 4648 §5, padding omitted as RFC 7515 §2 does)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, field: str) -> bytes:
    """Bytes of unpadded base64url ``text``; non-canonical text (padding, stray bits, other alphabets) is refused."""
    if not _B64URL.fullmatch(text):
        raise MalformedEnvelopeError(f"field {field!r} is not unpadded base64url", field=field)
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # a length of 1 mod 4 can encode no byte string
        raise MalformedEnvelopeError(f"field {field!r} is not unpadded base64url", field=field) from None
    if b64url_encode(data) != text:  # non-zero trailing bits: a second spelling of the same bytes
        raise MalformedEnvelopeError(f"field {field!r} is not canonical base64url", field=field)
    return data


def canonical(value: dict[str, Any]) -> bytes:
    """RFC 8785 canonical UTF-8 JSON of an envelope, info or aad object."""
    return canonical_json(value)


def parse_canonical(data: bytes) -> dict[str, Any]:
    """The JSON object in ``data``, which must already be its own RFC 8785 canonical form."""
    try:
        value = json.loads(data.decode("utf-8"))
        if not isinstance(value, dict) or canonical_json(value) != data:
            raise MalformedEnvelopeError("an envelope is one JSON object in RFC 8785 canonical form")
    except (UnicodeDecodeError, ValueError, CanonicalizationError):
        raise MalformedEnvelopeError("an envelope is one JSON object in RFC 8785 canonical form") from None
    return value


def check_keys(document: dict[str, Any], expected: frozenset[str]) -> None:
    """Refuse a document with missing or unknown members."""
    if set(document) != expected:
        missing = sorted(expected - set(document))
        unknown = sorted(set(document) - expected)
        raise MalformedEnvelopeError(f"envelope members missing {missing}, unknown {unknown}")


def text_field(document: dict[str, Any], field: str) -> str:
    """A string member of a parsed envelope."""
    value = document[field]
    if not isinstance(value, str):
        raise MalformedEnvelopeError(f"field {field!r} must be a string", field=field)
    return value


def int_field(document: dict[str, Any], field: str) -> int:
    """An integer member of a parsed envelope (``true`` is not 1 here)."""
    value = document[field]
    if type(value) is not int:
        raise MalformedEnvelopeError(f"field {field!r} must be an integer", field=field)
    return value


def identifier_field(document: dict[str, Any], field: str) -> str:
    """An identifier member of a parsed envelope (see ``is_identifier``)."""
    value = text_field(document, field)
    if not is_identifier(value):
        raise MalformedEnvelopeError(f"field {field!r} is not an identifier", field=field)
    return value


def is_identifier(value: object) -> bool:
    """Whether ``value`` is a string of 1 to ``MAX_IDENTIFIER_LENGTH`` printable characters."""
    return isinstance(value, str) and 0 < len(value) <= MAX_IDENTIFIER_LENGTH and value.isprintable()


def check_identifier(name: str, value: str) -> str:
    """Refuse an empty, over-long or control-character identifier given by a caller; return it unchanged."""
    if not is_identifier(value):
        raise InvalidArgumentError(f"{name} must be 1 to {MAX_IDENTIFIER_LENGTH} printable characters", field=name)
    return value

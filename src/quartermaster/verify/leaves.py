"""Leaf inputs of the Quartermaster log (docs/transparency-spec.md, "Log entries"), read back strictly.

    {"kind": "release",    "ocid": ..., "release": {...}, "withheld": "<64 hex>"}     (withheld optional)
    {"kind": "disclosure", "ocid": ..., "discloses": <index>, "release": {...}, "salt": "<64 hex>"}
    {"kind": "sealed-bid", "commitment": "<64 hex>"}

A leaf input must be exactly the RFC 8785 canonical bytes of one of these objects: anything else (other key
order, whitespace, duplicate keys, ``1.0`` for ``1``, an unknown field) would give one entry two hashes.
Also the Merkle frontier that recomputes roots while entries stream past in O(log n) memory.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from quartermaster.transparency import EMPTY_ROOT, CanonicalizationError, canonical_json, node_hash

RELEASE = "release"
DISCLOSURE = "disclosure"
SEALED_BID = "sealed-bid"
DECISION = "decision"
KEY_ENROLMENT = "key-enrolment"
SEALED_DOCUMENT = "sealed-document"
COMMITMENT_KINDS = (SEALED_BID, DECISION, KEY_ENROLMENT, SEALED_DOCUMENT)  # leaves that carry only a commitment

_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {  # kind -> (required fields, optional fields)
    RELEASE: (frozenset({"kind", "ocid", "release"}), frozenset({"withheld"})),
    DISCLOSURE: (frozenset({"kind", "ocid", "discloses", "release", "salt"}), frozenset()),
    SEALED_BID: (frozenset({"kind", "commitment"}), frozenset()),
    DECISION: (frozenset({"kind", "commitment"}), frozenset()),
    KEY_ENROLMENT: (frozenset({"kind", "commitment"}), frozenset()),
    SEALED_DOCUMENT: (frozenset({"kind", "commitment"}), frozenset()),
}
_HEX256 = re.compile(r"[0-9a-f]{64}")


class LeafError(ValueError):
    """A leaf input that is not the canonical JSON of a known entry kind; the message says what is wrong."""


@dataclass(frozen=True)
class ReleaseLeaf:
    """A release entry: the release as published and, if the policy withheld something, the commitment."""

    ocid: str
    release: dict[str, Any]
    withheld: bytes | None = None


@dataclass(frozen=True)
class DisclosureLeaf:
    """A disclosure entry: the full release and the salt that open the commitment of entry ``discloses``."""

    ocid: str
    release: dict[str, Any]
    discloses: int
    salt: bytes


@dataclass(frozen=True)
class SealedBidLeaf:
    """A sealed bid received: the SHA-256 commitment of its envelope (which names its tender and supplier)."""

    commitment: bytes


@dataclass(frozen=True)
class CommitmentLeaf:
    """A signed decision's or key enrolment's commitment (``decisions.commitments``), or a sealed document's SHA-256."""

    kind: str
    commitment: bytes


Leaf = ReleaseLeaf | DisclosureLeaf | SealedBidLeaf | CommitmentLeaf


def parse_leaf(data: bytes) -> Leaf:
    """Parse a leaf input, requiring canonical JSON of a known kind with exactly its fields; LeafError otherwise."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise LeafError("leaf input is not UTF-8") from None
    except ValueError as exc:
        raise LeafError(f"leaf input is not JSON ({exc})") from None
    try:
        canonical = canonical_json(value)
    except CanonicalizationError as exc:
        raise LeafError(f"leaf input has no canonical JSON form ({exc.message})") from None
    if canonical != data:
        raise LeafError("leaf input is not RFC 8785 canonical JSON (re-encoding it changes its bytes)")
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str) or value["kind"] not in _FIELDS:
        raise LeafError(
            "leaf input is not an object of kind 'release', 'disclosure', 'sealed-bid', 'decision', 'key-enrolment' "
            "or 'sealed-document'"
        )
    kind: str = value["kind"]
    required, optional = _FIELDS[kind]
    if not required <= value.keys() <= required | optional:
        fields = ", ".join(sorted(required | optional))
        raise LeafError(f"a {kind} leaf has exactly the fields {fields} (the optional ones aside), not {sorted(value)}")
    if kind == SEALED_BID:
        return SealedBidLeaf(_hex256(value["commitment"], "commitment"))
    if kind in (DECISION, KEY_ENROLMENT, SEALED_DOCUMENT):
        return CommitmentLeaf(kind, _hex256(value["commitment"], "commitment"))
    if not isinstance(value["ocid"], str) or not value["ocid"]:
        raise LeafError("leaf ocid is not a non-empty string")
    if not isinstance(value["release"], dict):
        raise LeafError("leaf release is not an object")
    if kind == RELEASE:
        withheld = _hex256(value["withheld"], "withheld") if "withheld" in value else None
        return ReleaseLeaf(value["ocid"], value["release"], withheld)
    discloses = value["discloses"]
    if type(discloses) is not int or discloses < 0:
        raise LeafError("disclosure 'discloses' is not an entry index")
    return DisclosureLeaf(value["ocid"], value["release"], discloses, _hex256(value["salt"], "salt"))


def release_leaf(ocid: str, release: dict[str, Any], withheld: bytes | None) -> bytes:
    """The leaf input of a release entry (CanonicalizationError if ``release`` has no canonical form)."""
    value: dict[str, Any] = {"kind": RELEASE, "ocid": ocid, "release": release}
    if withheld is not None:
        value["withheld"] = withheld.hex()
    return canonical_json(value)


def commitment(salt: bytes, release: dict[str, Any]) -> bytes:
    """The withheld-data commitment SHA-256(salt || canonical_json(full release))."""
    return hashlib.sha256(salt + canonical_json(release)).digest()


def _hex256(value: Any, name: str) -> bytes:
    """64 lowercase hex digits (the canonical spelling of 32 bytes) as bytes; LeafError otherwise."""
    if not isinstance(value, str) or not _HEX256.fullmatch(value):
        raise LeafError(f"leaf {name} is not 64 lowercase hex digits")
    return bytes.fromhex(value)


class Frontier:
    """The right edge of an RFC 9162 tree being built leaf by leaf: O(log n) hashes give the root of every prefix.

    It holds the roots of the perfect subtrees that make up the leaves so far (one per one-bit of the size, largest
    and leftmost first); folding them right to left is exactly MTH's split at the largest power of two (§2.1.1).
    """

    def __init__(self) -> None:
        self._peaks: list[tuple[int, bytes]] = []  # (height, subtree root), heights strictly decreasing
        self.size = 0

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash, merging the equal-height subtrees it completes."""
        height, node = 0, leaf_hash
        while self._peaks and self._peaks[-1][0] == height:
            node = node_hash(self._peaks.pop()[1], node)
            height += 1
        self._peaks.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves appended so far (SHA-256 of the empty string for none)."""
        if not self._peaks:
            return EMPTY_ROOT
        node = self._peaks[-1][1]
        for _, peak in reversed(self._peaks[:-1]):
            node = node_hash(peak, node)
        return node

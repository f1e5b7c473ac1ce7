"""RFC 9162 §2.1 Merkle Tree Hash (identical to RFC 6962 §2.1): the 0x00/0x01 domain-separated SHA-256 tree.

MTH({})       = SHA-256()                                   (the empty tree's hash is the hash of the empty string)
MTH({d(0)})   = SHA-256(0x00 || d(0))                       (a leaf)
MTH(D[n])     = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) (k = the largest power of two smaller than n)

The prefixes keep a leaf from ever being mistaken for an interior node (second-preimage resistance, RFC 9162 §2.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from quartermaster.transparency.errors import TreeError

HASH_SIZE = 32
"""SHA-256 output length in bytes; every leaf, node and root hash has it."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 9162 §2.1.1): e3b0c442...b855."""

MAX_TREE_SIZE = 2**64 - 1
"""Tree sizes and leaf indices are uint64 in RFC 9162 (§4.1 and §4.4); nothing larger is accepted."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (RFC 9162 §2.1.1's k); requires n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def check_hash(value: bytes, what: str) -> bytes:
    """Return ``value`` if it is a 32-byte hash, else raise TreeError naming ``what``."""
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise TreeError(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash")
    return bytes(value)


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over already-hashed leaves (RFC 9162 §2.1.1) in O(n) time.

    Hashing pairs level by level and carrying an unpaired last node up unchanged builds exactly the RFC's
    left-balanced tree (split at the largest power of two below n); the tests check this against the recursive
    definition for every size up to a few hundred.
    """
    level = [check_hash(h, "leaf hash") for h in leaf_hashes]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]

"""An append-only RFC 9162 Merkle tree in memory that answers roots and proofs for any size it has reached.

Storage: level ``k`` holds, back to back in one ``bytearray``, the hash of every *complete* subtree of 2**k leaves,
so the whole tree costs about 2 * 32 bytes per leaf (64 MB at one million leaves) and no per-node Python objects.
Every perfect, aligned subtree of an earlier tree size is also complete now, so old sizes are answered exactly.

Complexity (n leaves, h = log2 n):
- ``append``/``extend``: amortised O(1) hashes per leaf (each new complete subtree is hashed once).
- ``root(size)``: O(h) — one stored lookup per one-bit of ``size``, combined right to left.
- ``inclusion_proof``/``consistency_proof``: O(h) stored lookups; a sibling that is the ragged right edge of an
  older size costs O(h) more hashes, so O(h**2) hashes in the worst case — microseconds at 2**20 leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from quartermaster.transparency.errors import TreeError
from quartermaster.transparency.merkle import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX, check_hash, node_hash, split_point


class MerkleTree:
    """Append-only Merkle tree over leaf hashes with RFC 9162 §2.1.3/§2.1.4 proof generation."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash and return its index."""
        index = self.size
        self.extend((leaf_hash,))
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order, then hash every subtree they complete, one level at a time."""
        self._levels[0] += b"".join(check_hash(h, "leaf hash") for h in leaf_hashes)
        level = 0
        while len(self._levels[level]) >= 2 * HASH_SIZE:
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            children, parents = self._levels[level], self._levels[level + 1]
            have, want = len(parents) // HASH_SIZE, len(children) // (2 * HASH_SIZE)
            if have == want:
                break  # nothing new completed here, so nothing above changes either
            for i in range(have, want):
                pair = children[2 * i * HASH_SIZE : (2 * i + 2) * HASH_SIZE]
                parents += hashlib.sha256(NODE_PREFIX + pair).digest()
            level += 1

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        self._require(0 <= index < self.size, f"leaf index {index} is outside a tree of size {self.size}")
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all); the empty tree's root is SHA-256 of the empty string."""
        size = self._size_arg(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1, deepest sibling first; requires 0 <= index < size."""
        size = self._size_arg(size)
        self._require(0 <= index < size, f"leaf index {index} is outside a tree of size {size}")
        # Walk the recursion top-down; each step's sibling subtree ends up *after* the deeper part of the path.
        siblings: list[bytes] = []
        start, n, m = 0, size, index
        while n > 1:
            k = split_point(n)
            if m < k:  # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
                siblings.append(self._subtree(start + k, n - k))
                n = k
            else:  # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
                siblings.append(self._subtree(start, k))
                start, n, m = start + k, n - k, m - k
        siblings.reverse()
        return siblings

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1; empty when size1 == size2 or size1 == 0.

        RFC 9162 defines the proof for 0 < size1 < size2 only; every tree extends the empty tree and itself, so
        those cases need no hashes (``verify_consistency`` accepts exactly that).
        """
        size2 = self._size_arg(size2)
        self._require(0 <= size1 <= size2, f"size {size1} is not between 0 and {size2}")
        if size1 in (0, size2):
            return []
        # SUBPROOF(m, D[n], b) unrolled: b stays true while m keeps to the leftmost edge of the tree.
        siblings: list[bytes] = []
        start, n, m, leftmost = 0, size2, size1, True
        while m != n:
            k = split_point(n)
            if m <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
                siblings.append(self._subtree(start + k, n - k))
                n = k
            else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
                siblings.append(self._subtree(start, k))
                start, n, m, leftmost = start + k, n - k, m - k, False
        # SUBPROOF(m, D[m], true) = {} ; SUBPROOF(m, D[m], false) = {MTH(D[m])}
        head = [] if leftmost else [self._subtree(start, n)]
        siblings.reverse()
        return head + siblings

    def _subtree(self, start: int, n: int) -> bytes:
        """MTH(D[start:start+n]) for n >= 1: a stored lookup when the subtree is perfect and aligned."""
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            offset = (start >> level) * HASH_SIZE
            return bytes(self._levels[level][offset : offset + HASH_SIZE])
        k = split_point(n)
        return node_hash(self._subtree(start, k), self._subtree(start + k, n - k))

    def _size_arg(self, size: int | None) -> int:
        """Default ``size`` to the current size and check 0 <= size <= current size."""
        if size is None:
            return self.size
        self._require(0 <= size <= self.size, f"size {size} is outside a tree of size {self.size}")
        return size

    @staticmethod
    def _require(condition: bool, message: str) -> None:
        if not condition:
            raise TreeError(message)

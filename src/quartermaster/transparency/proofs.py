"""Proof verification exactly as written in RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

Preconditions are checked before any hashing: sizes and indices in range, every hash 32 bytes, and a proof no
longer than a tree of 2**64 - 1 leaves could need. The loops then follow the RFC's numbered steps; their own
"fail" branches catch a proof of the wrong length, so a proof is accepted only with exactly the hashes it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from quartermaster.transparency.errors import ProofError, TreeError
from quartermaster.transparency.merkle import EMPTY_ROOT, MAX_TREE_SIZE, check_hash, node_hash

MAX_INCLUSION_PROOF = 64
"""A leaf of a tree with fewer than 2**64 leaves sits at depth <= 64, so its path has at most 64 hashes."""

MAX_CONSISTENCY_PROOF = 2 * 64
"""A loose bound for consistency proofs (O(log n) hashes); the RFC loop rejects any wrong length exactly."""


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``, or raise ProofError."""
    # RFC 9162 §2.1.3.2 step 1 (a precondition, checked before any math): 0 <= leaf_index < tree_size.
    if not 0 <= index < size <= MAX_TREE_SIZE:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    leaf, expected_root, path = _hashes(leaf_hash, "leaf hash", root, "root", proof, MAX_INCLUSION_PROOF)
    # Step 2: set fn to leaf_index and sn to tree_size - 1.  Step 3: set r to hash.
    fn, sn, r = index, size - 1, leaf
    # Step 4: for each value p in the inclusion_path array:
    for p in path:
        # 4a: if sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError(f"proof has more hashes than leaf {index} of a tree of size {size} needs")
        # 4b: if LSB(fn) is set, or fn == sn: r = HASH(0x01 || p || r) ...
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # ... and if LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:  # otherwise r = HASH(0x01 || r || p)
            r = node_hash(r, p)
        # 4c: finally, right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # Step 5: succeed only if sn is 0 and r equals root_hash.
    if sn != 0:
        raise ProofError(f"proof has fewer hashes than leaf {index} of a tree of size {size} needs")
    if r != expected_root:
        raise ProofError(f"proof does not lead to the root: the leaf is not at index {index} of this tree")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree (size2, root2) extends the tree (size1, root1), or raise ProofError.

    RFC 9162 §2.1.4.2 covers 0 < size1 < size2. The two edges it leaves out are settled by definition, as
    transparency-dev/merkle does, but stricter: equal sizes need an empty proof and equal roots (different roots
    at one size are a fork), and size1 == 0 needs an empty proof and root1 equal to the empty tree's hash.
    """
    if not 0 <= size1 <= size2 <= MAX_TREE_SIZE:
        raise ProofError(f"tree sizes {size1} -> {size2} are not 0 <= size1 <= size2 < 2**64")
    first_hash, second_hash, path = _hashes(root1, "root1", root2, "root2", proof, MAX_CONSISTENCY_PROOF)
    if size1 == 0 or size1 == size2:
        if path:
            raise ProofError(f"a consistency proof from size {size1} to {size2} must be empty")
        if size1 == 0 and first_hash != EMPTY_ROOT:
            raise ProofError("root of the empty tree must be SHA-256 of the empty string")
        if size1 == size2 and first_hash != second_hash:
            raise ProofError(f"two different roots for tree size {size1}: the log has forked")
        return
    _verify_consistency_rfc(size1, size2, list(path), first_hash, second_hash)


def _verify_consistency_rfc(first: int, second: int, path: list[bytes], first_hash: bytes, second_hash: bytes) -> None:
    """RFC 9162 §2.1.4.2 steps 1-7 for 0 < first < second."""
    # Step 1: if consistency_path is an empty array, stop and fail.
    if not path:
        raise ProofError(f"empty consistency proof from size {first} to {second}")
    # Step 2: if first is an exact power of 2, prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # Step 3: set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # Step 4: if LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Step 5: set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # Step 6: for each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # 6a: if sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError(f"consistency proof from size {first} to {second} has too many hashes")
        # 6b: if LSB(fn) is set, or fn == sn: fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr) ...
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            # ... and if LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:  # otherwise sr = HASH(0x01 || sr || c)
            sr = node_hash(sr, c)
        # 6c: finally, right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # Step 7: fr must equal first_hash, sr must equal second_hash, and sn must be 0.
    if sn != 0:
        raise ProofError(f"consistency proof from size {first} to {second} has too few hashes")
    if fr != first_hash:
        raise ProofError(f"consistency proof does not reproduce the root of size {first}")
    if sr != second_hash:
        raise ProofError(f"consistency proof does not reproduce the root of size {second}")


def _hashes(
    a: bytes, a_name: str, b: bytes, b_name: str, proof: Sequence[bytes], limit: int
) -> tuple[bytes, bytes, list[bytes]]:
    """Check two hashes and a proof's length and hash sizes; ProofError on any malformed input."""
    if len(proof) > limit:
        raise ProofError(f"proof has {len(proof)} hashes; no tree of fewer than 2**64 leaves needs more than {limit}")
    try:
        return check_hash(a, a_name), check_hash(b, b_name), [check_hash(p, "every proof hash") for p in proof]
    except TreeError as exc:
        raise ProofError(exc.message) from None

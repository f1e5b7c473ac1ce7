"""Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2): published proofs pass, every tampering fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from merkle_reference import CT_LEAVES, path, proof

from quartermaster.transparency import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

DATA = [f"entry {i}".encode() for i in range(640)]
TREE = MerkleTree(leaf_hash(d) for d in DATA)
CT = MerkleTree(leaf_hash(d) for d in CT_LEAVES)
EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257]
sizes = st.one_of(st.sampled_from(EDGE_SIZES), st.integers(min_value=1, max_value=320))
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(hex_hashes: str) -> list[bytes]:
    """Space-separated hex hashes."""
    return [bytes.fromhex(x) for x in hex_hashes.split()]


def flipped(hashes: list[bytes], i: int, bit: int) -> list[bytes]:
    """A copy of ``hashes`` with one bit of the i-th hash flipped."""
    return [*hashes[:i], bytes([hashes[i][0] ^ bit]) + hashes[i][1:], *hashes[i + 1 :]]


# Published proofs over the CT test leaves: transparency-dev/merkle proof/verify_test.go (inclusionProofs, whose
# leaf numbers are 1-based, and consistencyProofs).
PUBLISHED_INCLUSION = [
    (0, 1, ""),
    (0, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 "
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    (5, 8, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b "
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 "
     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    (2, 3, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    (1, 5, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d "
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
]  # fmt: skip
PUBLISHED_CONSISTENCY = [
    (1, 1, ""),
    (1, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 "
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    (6, 8, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a "
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 "
     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    (2, 5, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    (6, 7, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a "
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f "
     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
]  # fmt: skip


@pytest.mark.parametrize(("index", "size", "hashes"), PUBLISHED_INCLUSION)
def test_published_inclusion_proofs_are_generated_and_verified(index: int, size: int, hashes: str) -> None:
    assert CT.inclusion_proof(index, size) == h(hashes)
    verify_inclusion(leaf_hash(CT_LEAVES[index]), index, size, h(hashes), CT.root(size))


@pytest.mark.parametrize(("size1", "size2", "hashes"), PUBLISHED_CONSISTENCY)
def test_published_consistency_proofs_are_generated_and_verified(size1: int, size2: int, hashes: str) -> None:
    assert CT.consistency_proof(size1, size2) == h(hashes)
    verify_consistency(size1, size2, h(hashes), CT.root(size1), CT.root(size2))


def test_leaf_index_zero_of_a_one_leaf_tree_verifies_with_an_empty_proof() -> None:
    leaf = leaf_hash(b"only")
    verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(ProofError, match="not at index 0"):
        verify_inclusion(leaf, 0, 1, [], leaf_hash(b"other"))
    with pytest.raises(ProofError, match="more hashes"):
        verify_inclusion(leaf, 0, 1, [leaf], leaf)


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [
        (0, 0, "leaf index 0 is outside a tree of size 0"),
        (1, 1, "leaf index 1 is outside a tree of size 1"),
        (-1, 4, "leaf index -1 is outside"),
        (0, 2**64, "outside a tree of size 18446744073709551616"),
    ],
)
def test_inclusion_preconditions_are_checked_before_any_hashing(index: int, size: int, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        verify_inclusion(b"not even a hash", index, size, [b"junk"], b"junk")


@pytest.mark.parametrize(
    ("leaf", "proof_hashes", "root", "message"),
    [
        (b"short", [], EMPTY_ROOT, "leaf hash must be a 32-byte"),
        (EMPTY_ROOT, [], b"", "root must be a 32-byte"),
        (EMPTY_ROOT, [EMPTY_ROOT, b"\x00" * 31], EMPTY_ROOT, "every proof hash must be a 32-byte"),
        (EMPTY_ROOT, [EMPTY_ROOT] * 65, EMPTY_ROOT, "proof has 65 hashes; no tree"),
    ],
)
def test_malformed_inclusion_inputs_are_refused(
    leaf: bytes, proof_hashes: list[bytes], root: bytes, message: str
) -> None:
    with pytest.raises(ProofError, match=message):
        verify_inclusion(leaf, 1, 2**63, proof_hashes, root)


def test_the_largest_uint64_tree_is_accepted_as_a_size() -> None:
    # The last leaf of a tree of 2**64 - 1 leaves needs 63 hashes: these reach the final root comparison.
    with pytest.raises(ProofError, match="does not lead to the root"):
        verify_inclusion(EMPTY_ROOT, 2**64 - 2, 2**64 - 1, [EMPTY_ROOT] * 63, EMPTY_ROOT)


@given(sizes, st.data())
def test_every_proof_verifies_and_every_tampering_is_refused(size: int, data: st.DataObject) -> None:
    root = TREE.root(size)
    for index in range(size):  # the honest proof for every index verifies
        verify_inclusion(TREE.leaf(index), index, size, TREE.inclusion_proof(index, size), root)
    index = data.draw(st.sampled_from([0, size - 1]) | st.integers(0, size - 1), label="index")
    leaf, good = TREE.leaf(index), TREE.inclusion_proof(index, size)
    tampered = [flipped(good, i, 8) for i in range(len(good))]
    tampered += [[*good, SOME_HASH], [*good, root], [SOME_HASH, *good], good[:-1] if good else [root]]
    for bad in tampered:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, bad, root)
    for wrong in (index - 1, index + 1, index ^ 2):
        if 0 <= wrong < size and wrong != index:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, wrong, size, good, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(b"wrong leaf"), index, size, good, root)
    for wrong_root in (EMPTY_ROOT, SOME_HASH, TREE.root(size + 1)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, good, wrong_root)


@given(sizes, st.data())
def test_a_proof_verifies_at_another_size_only_where_the_rfc_path_is_the_same(size: int, data: st.DataObject) -> None:
    # A tree head binds size and root together, so a wrong size is checked with that size's own root: the proof
    # must then fail unless the RFC path at that size is literally the same list of hashes.
    index = data.draw(st.integers(0, size - 1), label="index")
    good = TREE.inclusion_proof(index, size)
    for other in {size - 1, size + 1, size * 2, size // 2}:
        if index < other <= TREE.size and other != size:
            same = path(index, DATA[:other]) == good
            try:
                verify_inclusion(TREE.leaf(index), index, other, good, TREE.root(other))
                accepted = True
            except ProofError:
                accepted = False
            assert accepted == same, (index, size, other)


@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_every_tampering_is_refused(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.sampled_from([1, size2]) | st.integers(1, size2), label="size1")
    root1, root2, good = TREE.root(size1), TREE.root(size2), TREE.consistency_proof(size1, size2)
    verify_consistency(size1, size2, good, root1, root2)
    if size1 == size2:
        return
    tampered = [flipped(good, i, 16) for i in range(len(good))]
    tampered += [[], good[:-1], [*good, SOME_HASH], [*good, root1], [*good, root2], [root1, *good], [good[0], *good]]
    for bad in tampered:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, bad, root1, root2)
    for r1, r2 in ((SOME_HASH, root2), (root1, SOME_HASH), (root2, root1)):
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, good, r1, r2)
    for other in {size1 - 1, size1 + 1, size1 ^ 2}:
        if 0 < other < size2 and other != size1:
            same = proof(other, DATA[:size2]) == good
            try:
                verify_consistency(other, size2, good, TREE.root(other), root2)
                accepted = True
            except ProofError:
                accepted = False
            assert accepted == same, (size1, size2, other)


@pytest.mark.parametrize("size2", range(1, 34))
def test_every_consistency_pair_of_small_trees_verifies(size2: int) -> None:
    for size1 in range(0, size2 + 1):
        verify_consistency(size1, size2, TREE.consistency_proof(size1, size2), TREE.root(size1), TREE.root(size2))


def test_consistency_from_the_empty_tree_needs_the_empty_root_and_no_hashes() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 5, [], EMPTY_ROOT, TREE.root(5))
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(0, 5, [TREE.root(5)], EMPTY_ROOT, TREE.root(5))
    with pytest.raises(ProofError, match="empty tree must be SHA-256"):
        verify_consistency(0, 5, [], SOME_HASH, TREE.root(5))
    with pytest.raises(ProofError, match="empty tree must be SHA-256"):
        verify_consistency(0, 0, [], SOME_HASH, SOME_HASH)


def test_two_roots_for_one_size_are_a_fork() -> None:
    verify_consistency(7, 7, [], TREE.root(7), TREE.root(7))
    with pytest.raises(ProofError, match="forked"):
        verify_consistency(7, 7, [], TREE.root(7), SOME_HASH)
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(7, 7, [TREE.root(7)], TREE.root(7), TREE.root(7))


@pytest.mark.parametrize(
    ("size1", "size2", "proof_hashes", "message"),
    [
        (5, 4, [], "tree sizes 5 -> 4 are not"),
        (-1, 4, [], "tree sizes -1 -> 4"),
        (1, 2**64, [], "tree sizes 1 -> 18446744073709551616"),
        (3, 4, [], "empty consistency proof from size 3 to 4"),
        (3, 4, [b"\x00"], "every proof hash must be a 32-byte"),
        (3, 4, [EMPTY_ROOT] * 129, "proof has 129 hashes"),
    ],
)
def test_malformed_consistency_inputs_are_refused(
    size1: int, size2: int, proof_hashes: list[bytes], message: str
) -> None:
    with pytest.raises(ProofError, match=message):
        verify_consistency(size1, size2, proof_hashes, EMPTY_ROOT, EMPTY_ROOT)


def test_consistency_roots_must_be_hashes() -> None:
    with pytest.raises(ProofError, match="root1 must be a 32-byte"):
        verify_consistency(3, 4, [EMPTY_ROOT], b"x", EMPTY_ROOT)
    with pytest.raises(ProofError, match="root2 must be a 32-byte"):
        verify_consistency(3, 4, [EMPTY_ROOT], EMPTY_ROOT, hashlib.sha256().digest()[:16])


def test_consistency_failures_name_the_root_that_did_not_match() -> None:
    good = TREE.consistency_proof(3, 7)
    with pytest.raises(ProofError, match="root of size 3"):
        verify_consistency(3, 7, good, SOME_HASH, TREE.root(7))
    with pytest.raises(ProofError, match="root of size 7"):
        verify_consistency(3, 7, good, TREE.root(3), SOME_HASH)
    with pytest.raises(ProofError, match="too few hashes"):
        verify_consistency(3, 7, good[:-1], TREE.root(3), TREE.root(7))
    with pytest.raises(ProofError, match="too many hashes"):
        verify_consistency(3, 7, [*good, SOME_HASH], TREE.root(3), TREE.root(7))

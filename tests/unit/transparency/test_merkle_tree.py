"""The fast MerkleTree against the naive RFC 6962 §2.1 recursion: roots, inclusion paths, consistency proofs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from merkle_reference import mth, path, proof

from quartermaster.transparency import EMPTY_ROOT, MerkleTree, TreeError, leaf_hash

DATA = [f"entry {i}".encode() for i in range(640)]
HASHES = [leaf_hash(d) for d in DATA]
TREE = MerkleTree(HASHES)

EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257]
sizes = st.one_of(st.sampled_from(EDGE_SIZES), st.integers(min_value=1, max_value=320))


def test_an_empty_tree_has_the_empty_root_and_size_zero() -> None:
    tree = MerkleTree()
    assert (tree.size, tree.root()) == (0, EMPTY_ROOT)
    assert tree.consistency_proof(0) == []


def test_a_one_leaf_tree_has_the_leaf_hash_as_root_and_an_empty_path_for_index_zero() -> None:
    tree = MerkleTree([HASHES[0]])
    assert tree.root() == HASHES[0]
    assert tree.inclusion_proof(0) == []
    assert tree.leaf(0) == HASHES[0]


@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_path_matches_the_reference_for_small_trees(size: int) -> None:
    assert TREE.root(size) == mth(DATA[:size])
    for index in range(size):
        assert TREE.inclusion_proof(index, size) == path(index, DATA[:size]), (index, size)


@pytest.mark.parametrize("size2", range(1, 49))
def test_every_consistency_proof_matches_the_reference_for_small_trees(size2: int) -> None:
    for size1 in range(1, size2 + 1):
        assert TREE.consistency_proof(size1, size2) == proof(size1, DATA[:size2]), (size1, size2)


@given(sizes, st.data())
def test_inclusion_paths_match_the_reference_at_any_size(size: int, data: st.DataObject) -> None:
    index = data.draw(st.sampled_from([0, size - 1, size // 2]) | st.integers(0, size - 1))
    assert TREE.inclusion_proof(index, size) == path(index, DATA[:size])


@given(sizes, st.data())
def test_consistency_proofs_match_the_reference_at_any_size(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.sampled_from([1, size2, max(1, size2 - 1)]) | st.integers(1, size2))
    assert TREE.consistency_proof(size1, size2) == proof(size1, DATA[:size2])


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_growing_the_tree_in_any_batches_gives_the_same_roots_as_building_it_at_once(batches: list[int]) -> None:
    tree, done = MerkleTree(), 0
    for batch in batches:
        if batch == 1:
            assert tree.append(HASHES[done]) == done
        else:
            tree.extend(HASHES[done : done + batch])
        done += batch
        assert tree.size == done
        assert tree.root() == TREE.root(done)
    assert [tree.leaf(i) for i in range(done)] == HASHES[:done]
    assert [tree.root(n) for n in range(done + 1)] == [TREE.root(n) for n in range(done + 1)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.inclusion_proof(8), "leaf index 8 is outside a tree of size 8"),
        (lambda t: t.inclusion_proof(-1), "leaf index -1 is outside"),
        (lambda t: t.inclusion_proof(0, 0), "leaf index 0 is outside a tree of size 0"),
        (lambda t: t.inclusion_proof(0, 9), "size 9 is outside a tree of size 8"),
        (lambda t: t.root(9), "size 9 is outside"),
        (lambda t: t.root(-1), "size -1 is outside"),
        (lambda t: t.consistency_proof(5, 4), "size 5 is not between 0 and 4"),
        (lambda t: t.consistency_proof(-1), "size -1 is not between 0 and 8"),
        (lambda t: t.leaf(8), "leaf index 8 is outside"),
        (lambda t: t.append(b"short"), "leaf hash must be a 32-byte"),
    ],
)
def test_questions_outside_the_tree_are_refused(call: object, message: str) -> None:
    tree = MerkleTree(HASHES[:8])
    with pytest.raises(TreeError, match=message):
        call(tree)  # type: ignore[operator]
    assert tree.size == 8


def test_consistency_from_the_empty_tree_or_to_the_same_size_needs_no_hashes() -> None:
    assert TREE.consistency_proof(0, 100) == []
    assert TREE.consistency_proof(100, 100) == []

"""The committed test vectors: regenerated from the reference they must be identical, and the fast code passes all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from merkle_reference import VECTORS, consistency_vectors, inclusion_vectors, render

from quartermaster.transparency import MerkleTree, leaf_hash, verify_consistency, verify_inclusion


def committed(name: str) -> dict[str, Any]:
    """A committed vector file."""
    result: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return result


@pytest.mark.parametrize(
    ("name", "generate"), [("inclusion.json", inclusion_vectors), ("consistency.json", consistency_vectors)]
)
def test_committed_vectors_equal_a_fresh_run_of_the_reference(name: str, generate: Any) -> None:
    fresh = generate()
    assert committed(name) == fresh
    assert (VECTORS / name).read_text(encoding="utf-8") == render(fresh)


def test_the_vector_files_cover_every_index_and_size_pair() -> None:
    inclusion, consistency = committed("inclusion.json"), committed("consistency.json")
    n = len(inclusion["leaves"])
    assert n == 17
    assert {(v["index"], v["size"]) for v in inclusion["vectors"]} == {
        (m, s) for s in range(1, n + 1) for m in range(s)
    }
    assert {(v["size1"], v["size2"]) for v in consistency["vectors"]} == {
        (m, s) for s in range(1, n + 1) for m in range(1, s + 1)
    }


def test_the_fast_code_generates_and_verifies_every_inclusion_vector() -> None:
    vectors = committed("inclusion.json")
    tree = MerkleTree(leaf_hash(bytes.fromhex(d)) for d in vectors["leaves"])
    assert [tree.root(n).hex() for n in range(tree.size + 1)] == vectors["roots"]
    for v in vectors["vectors"]:
        hashes = [bytes.fromhex(x) for x in v["proof"]]
        assert tree.leaf(v["index"]).hex() == v["leaf_hash"]
        assert tree.inclusion_proof(v["index"], v["size"]) == hashes
        verify_inclusion(bytes.fromhex(v["leaf_hash"]), v["index"], v["size"], hashes, bytes.fromhex(v["root"]))


def test_the_fast_code_generates_and_verifies_every_consistency_vector() -> None:
    vectors = committed("consistency.json")
    tree = MerkleTree(leaf_hash(bytes.fromhex(d)) for d in vectors["leaves"])
    for v in vectors["vectors"]:
        hashes = [bytes.fromhex(x) for x in v["proof"]]
        assert tree.consistency_proof(v["size1"], v["size2"]) == hashes
        verify_consistency(v["size1"], v["size2"], hashes, bytes.fromhex(v["root1"]), bytes.fromhex(v["root2"]))

"""RFC 9162 §2.1 hashing and RFC 8785 leaves, checked against published values."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from merkle_reference import CT_LEAVES, mth

from quartermaster.transparency import (
    EMPTY_ROOT,
    CanonicalizationError,
    TreeError,
    canonical_json,
    leaf_hash,
    leaf_hash_of_json,
    leaf_of_json,
    node_hash,
    root,
)

# Roots of the first n CT test leaves for n = 0..8, as published in transparency-dev/merkle testonly/constants.go
# (RootHashes) and repeated in proof/verify_test.go; the last is the widely quoted 5dc9da79...4328.
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_tree_hash_is_sha256_of_the_empty_string() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT


def test_leaf_and_node_hashes_use_the_0x00_and_0x01_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = leaf_hash(b"l"), leaf_hash(b"r")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(b"") != hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_root_of_the_ct_test_leaves_matches_the_published_root(size: int) -> None:
    assert root([leaf_hash(d) for d in CT_LEAVES[:size]]).hex() == CT_ROOTS[size]


def test_the_reference_implementation_reproduces_the_published_roots() -> None:
    assert [mth(CT_LEAVES[:n]).hex() for n in range(len(CT_ROOTS))] == CT_ROOTS


@given(st.lists(st.binary(max_size=8), max_size=300))
def test_root_equals_the_recursive_rfc_definition(data: list[bytes]) -> None:
    assert root([leaf_hash(d) for d in data]) == mth(data)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "0" * 32])
def test_root_refuses_anything_but_32_byte_leaf_hashes(bad: bytes) -> None:
    with pytest.raises(TreeError, match="32-byte"):
        root([leaf_hash(b"x"), bad])


def test_canonical_json_matches_the_rfc_8785_authors_sample() -> None:
    # Sample input and expected UTF-8 output from cyberphone/json-canonicalization README.md (the RFC 8785 authors').
    value = {
        "numbers": [1e30, 4.50, 6, 2e-3, 1e-27],
        "escaping": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "other": [None, True, False],
    }
    expected = """
        7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c
        5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e
        30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61
        6c 73 65 5d 7d
    """
    assert canonical_json(value) == bytes.fromhex(expected)


def test_key_order_and_whitespace_do_not_change_the_leaf() -> None:
    a = {"b": [1, {"y": "é", "x": None}], "a": True}
    b = {"a": True, "b": [1, {"x": None, "y": "é"}]}
    assert leaf_of_json(a) == leaf_of_json(b) == b'{"a":true,"b":[1,{"x":null,"y":"\xc3\xa9"}]}'
    assert leaf_hash_of_json(a) == leaf_hash(leaf_of_json(b))


@pytest.mark.parametrize("bad", [float("nan"), 2**53, {1: "non-string key"}, {"d": object()}])
def test_values_without_a_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalizationError, match="RFC 8785"):
        leaf_hash_of_json(bad)

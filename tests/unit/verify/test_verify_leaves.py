"""Leaf inputs are read back strictly, and the streaming frontier computes the same roots as the Merkle tree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from synthetic_log import commitment_hex, make_release

from quartermaster.transparency import EMPTY_ROOT, MerkleTree, canonical_json, leaf_hash
from quartermaster.verify.leaves import (
    DisclosureLeaf,
    Frontier,
    LeafError,
    ReleaseLeaf,
    commitment,
    parse_leaf,
    release_leaf,
)

RELEASE = make_release("ocds-x-t1", 0)
SALT = bytes(range(32))


def test_a_public_release_leaf_parses_and_rebuilds_to_the_same_bytes() -> None:
    data = canonical_json({"kind": "release", "ocid": "ocds-x-t1", "release": RELEASE})
    assert parse_leaf(data) == ReleaseLeaf("ocds-x-t1", RELEASE, None)
    assert release_leaf("ocds-x-t1", RELEASE, None) == data


def test_a_withheld_release_leaf_carries_its_commitment() -> None:
    withheld = hashlib.sha256(b"c").digest()
    data = canonical_json({"kind": "release", "ocid": "o", "release": RELEASE, "withheld": withheld.hex()})
    assert parse_leaf(data) == ReleaseLeaf("o", RELEASE, withheld)
    assert release_leaf("o", RELEASE, withheld) == data


def test_a_disclosure_leaf_parses_with_its_index_and_salt() -> None:
    data = canonical_json({"kind": "disclosure", "ocid": "o", "discloses": 0, "release": RELEASE, "salt": SALT.hex()})
    assert parse_leaf(data) == DisclosureLeaf("o", RELEASE, 0, SALT)


def test_the_commitment_is_sha256_of_salt_and_canonical_release() -> None:
    assert commitment(SALT, RELEASE).hex() == commitment_hex(SALT, RELEASE)


GOOD_RELEASE = {"kind": "release", "ocid": "o", "release": {}}
GOOD_DISCLOSURE = {"kind": "disclosure", "ocid": "o", "discloses": 0, "release": {}, "salt": SALT.hex()}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\xff{}", "not UTF-8"),
        (b"{", "not JSON"),
        (b"[1e400]", "no canonical JSON form"),
        (b'{"kind": "release"}', "not RFC 8785 canonical"),
        (b'{"kind":"release","kind":"release"}', "not RFC 8785 canonical"),
        (b"1.0", "not RFC 8785 canonical"),
        (b"[]", "not an object of kind"),
        (canonical_json({"kind": ["release"]}), "not an object of kind"),
        (canonical_json({"kind": "tender"}), "not an object of kind"),
        (canonical_json({"kind": "release", "ocid": "o"}), "exactly the fields"),
        (canonical_json({**GOOD_RELEASE, "salt": SALT.hex()}), "exactly the fields"),
        (canonical_json({**GOOD_DISCLOSURE, "withheld": SALT.hex()}), "exactly the fields"),
        (canonical_json({**GOOD_RELEASE, "ocid": ""}), "ocid is not a non-empty string"),
        (canonical_json({**GOOD_RELEASE, "ocid": 7}), "ocid is not a non-empty string"),
        (canonical_json({**GOOD_RELEASE, "release": []}), "release is not an object"),
        (canonical_json({**GOOD_RELEASE, "withheld": SALT.hex().upper()}), "withheld is not 64 lowercase hex"),
        (canonical_json({**GOOD_RELEASE, "withheld": SALT.hex()[:-2]}), "withheld is not 64 lowercase hex"),
        (canonical_json({**GOOD_RELEASE, "withheld": 5}), "withheld is not 64 lowercase hex"),
        (canonical_json({**GOOD_DISCLOSURE, "discloses": -1}), "not an entry index"),
        (canonical_json({**GOOD_DISCLOSURE, "discloses": True}), "not an entry index"),
        (canonical_json({**GOOD_DISCLOSURE, "discloses": "0"}), "not an entry index"),
        (canonical_json({**GOOD_DISCLOSURE, "salt": "00"}), "salt is not 64 lowercase hex"),
    ],
)
def test_a_leaf_that_is_not_canonical_json_of_a_known_kind_is_refused(data: bytes, error: str) -> None:
    with pytest.raises(LeafError, match=error):
        parse_leaf(data)


def test_the_empty_frontier_has_the_empty_root() -> None:
    assert Frontier().root() == EMPTY_ROOT
    assert Frontier().size == 0


@given(st.integers(min_value=1, max_value=300))
def test_the_frontier_gives_the_merkle_tree_root_of_every_prefix(size: int) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree, frontier = MerkleTree(hashes), Frontier()
    for n, h in enumerate(hashes, start=1):
        frontier.append(h)
        assert (frontier.size, frontier.root()) == (n, tree.root(n))

"""A naive Merkle tree written straight from RFC 6962 §2.1 (= RFC 9162 §2.1), and the vector files made with it.

Deliberately slow and independent of ``quartermaster.transparency``: plain recursion over leaf *data*, list slicing,
no caching. The fast code is cross-checked against it.

Regenerate the committed vectors with ``python tests/unit/transparency/merkle_reference.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent / "vectors"
MAX_VECTOR_SIZE = 17

# The eight leaves every Certificate Transparency implementation tests with (transparency-dev/merkle
# testonly/constants.go LeafInputs, the same data as google/certificate-transparency's merkle tree tests).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]


def vector_leaves() -> list[bytes]:
    """The CT leaves, then deterministic extra leaves up to MAX_VECTOR_SIZE."""
    extra = [f"quartermaster leaf {i}".encode() for i in range(len(CT_LEAVES), MAX_VECTOR_SIZE)]
    return CT_LEAVES + extra


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1), found the slow way."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:n])).digest()


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:n])]
    return [*path(m - k, d[k:n]), mth(d[:k])]


def proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 §2.1.2."""
    return subproof(m, d, True)


def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:n])]
    return [*subproof(m - k, d[k:n], False), mth(d[:k])]


def _header(kind: str) -> dict[str, Any]:
    leaves = vector_leaves()
    return {
        "description": f"RFC 9162 {kind}, computed by the naive RFC 6962 §2.1 recursion in merkle_reference.py",
        "hash": "SHA-256; leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); all values hex",
        "leaves": [d.hex() for d in leaves],
        "roots": [mth(leaves[:n]).hex() for n in range(len(leaves) + 1)],
    }


def inclusion_vectors() -> dict[str, Any]:
    """Every (index, size) for sizes 1..MAX_VECTOR_SIZE: leaf hash, root and PATH."""
    leaves = vector_leaves()
    vectors = [
        {
            "index": m,
            "size": n,
            "leaf_hash": mth(leaves[m : m + 1]).hex(),
            "root": mth(leaves[:n]).hex(),
            "proof": [h.hex() for h in path(m, leaves[:n])],
        }
        for n in range(1, len(leaves) + 1)
        for m in range(n)
    ]
    return {**_header("§2.1.3 inclusion proofs"), "vectors": vectors}


def consistency_vectors() -> dict[str, Any]:
    """Every (size1, size2) with 1 <= size1 <= size2 <= MAX_VECTOR_SIZE: both roots and PROOF."""
    leaves = vector_leaves()
    vectors = [
        {
            "size1": m,
            "size2": n,
            "root1": mth(leaves[:m]).hex(),
            "root2": mth(leaves[:n]).hex(),
            "proof": [h.hex() for h in proof(m, leaves[:n])],
        }
        for n in range(1, len(leaves) + 1)
        for m in range(1, n + 1)
    ]
    return {**_header("§2.1.4 consistency proofs"), "vectors": vectors}


def render(vectors: dict[str, Any]) -> str:
    """The committed file text."""
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (VECTORS / "inclusion.json").write_text(render(inclusion_vectors()), encoding="utf-8")
    (VECTORS / "consistency.json").write_text(render(consistency_vectors()), encoding="utf-8")

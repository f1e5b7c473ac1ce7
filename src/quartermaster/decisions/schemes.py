"""Signature schemes: how a decision signature is checked, by name, so more than Ed25519 can be added.

A scheme names the algorithm of the enrolled key it verifies against and checks a signature over the decision bytes.
Ed25519 (keys enrolled with ``PUT /api/v1/me/keys``) is built in. A national qualified electronic signature (for
Ukraine, DSTU 4145 or the Diia signature, whose keys live in qualified certificates) is a scheme of its own: it would
register here with its algorithm name and a ``verify`` that checks the certificate chain and the signature, and
persons would enrol that certificate as their signing key. None is shipped: there is no such adapter to fake.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = "ed25519"


class SignatureScheme(Protocol):
    """A way of signing decisions: its name in requests and the log, the key algorithm it uses, and its check."""

    @property
    def name(self) -> str:
        """The scheme's name as requests and recorded signatures spell it (lowercase)."""
        ...

    @property
    def algorithm(self) -> str:
        """The algorithm of the enrolled public key this scheme verifies against (``PersonKey.algorithm``)."""
        ...

    def verify(self, public_key: bytes, document: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid signature of ``document`` under ``public_key`` (never raises)."""
        ...


class Ed25519Scheme:
    """RFC 8032 Ed25519 over the canonical decision bytes, with the person's enrolled signing key."""

    name = ED25519
    algorithm = "Ed25519"

    def verify(self, public_key: bytes, document: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes) is ``public_key``'s (32 bytes) Ed25519 signature of ``document``."""
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, document)
        except (InvalidSignature, ValueError):
            return False
        return True


_SCHEMES: dict[str, SignatureScheme] = {ED25519: Ed25519Scheme()}


def register_scheme(adapter: SignatureScheme) -> None:
    """Make ``adapter`` available under its name (a name registered twice is a programming error)."""
    if adapter.name in _SCHEMES:
        raise ValueError(f"a signature scheme named {adapter.name!r} is already registered")
    _SCHEMES[adapter.name] = adapter


def scheme(name: str) -> SignatureScheme | None:
    """The scheme registered under ``name``, or None."""
    return _SCHEMES.get(name)


def schemes() -> list[str]:
    """The names of the registered schemes, sorted."""
    return sorted(_SCHEMES)

"""A person's key file: their Ed25519 signing key and X25519 custody key, private halves included.

The file never leaves the person: ``quartermaster keys new`` writes it (mode 0600) and enrolment sends only the public
halves with a proof of possession. Format: RFC 8785 JSON
``{"custody":<b64url X25519 private>,"signing":<b64url Ed25519 seed>,"type":"quartermaster.person-keys","v":1}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from quartermaster.sealing.encoding import b64url_decode, b64url_encode, canonical
from quartermaster.sealing.errors import MalformedEnvelopeError
from quartermaster.transparency.canonical import canonical_json

KEYS_TYPE = "quartermaster.person-keys"
ENROLMENT_TYPE = "quartermaster.key-enrolment"


class KeyFileError(ValueError):
    """A key file that cannot be read, with a one-line reason."""


@dataclass(frozen=True)
class PersonKeys:
    """A person's two private keys (raw 32 bytes each); never in ``repr``."""

    signing_private: bytes = field(repr=False)
    custody_private: bytes = field(repr=False)

    @property
    def signing_public(self) -> bytes:
        """The Ed25519 public key."""
        key = Ed25519PrivateKey.from_private_bytes(self.signing_private).public_key()
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def custody_public(self) -> bytes:
        """The X25519 public key."""
        key = X25519PrivateKey.from_private_bytes(self.custody_private).public_key()
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.signing_private).sign(message)

    def enrolment(self, user_id: str) -> dict[str, str]:
        """The body of ``PUT /api/v1/me/keys``: both public keys and the proof of possession for ``user_id``."""
        signing, custody = b64url_encode(self.signing_public), b64url_encode(self.custody_public)
        document = canonical_json(
            {"type": ENROLMENT_TYPE, "v": 1, "user": user_id, "signing": signing, "custody": custody}
        )
        return {
            "signing_public_key": signing,
            "custody_public_key": custody,
            "proof": b64url_encode(self.sign(document)),
        }

    def to_bytes(self) -> bytes:
        """The key file's canonical JSON."""
        return canonical(
            {
                "type": KEYS_TYPE,
                "v": 1,
                "signing": b64url_encode(self.signing_private),
                "custody": b64url_encode(self.custody_private),
            }
        )


def new_keys() -> PersonKeys:
    """Two fresh private keys."""
    signing = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    custody = X25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return PersonKeys(signing_private=signing, custody_private=custody)


def parse_keys(data: bytes) -> PersonKeys:
    """Read a key file's bytes; KeyFileError with the reason otherwise."""
    try:
        document: Any = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or document.get("type") != KEYS_TYPE or document.get("v") != 1:
            raise KeyFileError(f"not a version 1 {KEYS_TYPE} file")
        signing = b64url_decode(str(document["signing"]), "signing")
        custody = b64url_decode(str(document["custody"]), "custody")
    except (UnicodeDecodeError, ValueError, KeyError, MalformedEnvelopeError) as exc:
        if isinstance(exc, KeyFileError):
            raise
        raise KeyFileError(f"not a readable {KEYS_TYPE} file") from None
    if len(signing) != 32 or len(custody) != 32:
        raise KeyFileError("each private key in a key file is 32 bytes")
    return PersonKeys(signing_private=signing, custody_private=custody)


def load_keys(path: Path) -> PersonKeys:
    """Read a key file from disk."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    return parse_keys(data)


def save_keys(keys: PersonKeys, path: Path, *, overwrite: bool = False) -> None:
    """Write a key file readable by its owner only (0600); refuses to replace an existing file unless told to."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists; a key file is never overwritten silently") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(keys.to_bytes())

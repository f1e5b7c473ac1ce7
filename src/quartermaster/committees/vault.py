"""The platform's opening-key vault: wraps the private opening keys of platform-mode tenders under a key-encryption
key that lives outside the database (a file next to the log's signing key), so a database dump alone opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from quartermaster.sealing.encoding import b64url_decode, b64url_encode

_LABEL = b"quartermaster.opening-key-wrap.v1:"


class VaultError(Exception):
    """The vault cannot unwrap a key: another vault key, or the wrapped key was altered."""


class OpeningKeyVault:
    """AES-256-GCM key wrapping; the tender id is the associated data: a key moved to another tender fails."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the vault key is 32 bytes")
        self._aead = AESGCM(key)
        self._mac_key = HKDF(hashes.SHA256(), 32, salt=None, info=b"quartermaster.identifier-digest.v1").derive(key)

    def identifier_digest(self, national_id: str) -> str:
        """HMAC-SHA256 of a person's normalized national identifier under a key derived from the vault's (HKDF).

        The same person declared twice (by a supplier as its director, by a committee member as themself) gives the
        same digest; a ten-digit identifier cannot be brute-forced from a database dump without the vault key.
        """
        normalized = "".join(ch for ch in national_id.upper() if ch.isalnum())
        return hmac.new(self._mac_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()

    def wrap(self, tender_id: str, private_key: bytes) -> str:
        """nonce || ciphertext, base64url."""
        nonce = secrets.token_bytes(12)
        return b64url_encode(nonce + self._aead.encrypt(nonce, private_key, _LABEL + tender_id.encode()))

    def unwrap(self, tender_id: str, wrapped: str) -> bytes:
        """The private key, or VaultError."""
        try:
            raw = b64url_decode(wrapped, "wrapped_private_key")
            return self._aead.decrypt(raw[:12], raw[12:], _LABEL + tender_id.encode())
        except (InvalidTag, ValueError) as exc:
            raise VaultError("the platform's vault cannot unwrap this tender's opening key") from exc

    @classmethod
    def from_file(cls, path: Path) -> OpeningKeyVault:
        """Load the vault key from ``path``, creating it (32 random bytes, mode 0600) on first use."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) != 32:
                raise ValueError(f"{path} is not a 32-byte opening-key vault key") from None
            return cls(key)
        key = secrets.token_bytes(32)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return cls(key)

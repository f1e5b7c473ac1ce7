"""C2SP signed-note (https://c2sp.org/signed-note, as in golang.org/x/mod/sumdb/note) with Ed25519 keys.

    <text, ending in a newline>
    <blank line>
    — <key name> base64(4-byte big-endian key ID || signature)      (one line per signature; U+2014 EM DASH)

key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]; 0x01 is the Ed25519 signature type.
A verifier key is ``<name>+<key ID as 8 hex digits>+base64(0x01 || public key)``; a signer key (secret) is
``PRIVATE+KEY+<name>+<key ID>+base64(0x01 || 32-byte seed)`` — both the sumdb/note encodings, so keys and notes
made here work with Go's note package and the transparency-dev tooling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from quartermaster.transparency.errors import KeyFormatError, NoteError, SignatureError, UntrustedNoteError

ED25519 = 0x01
"""Signature type byte for Ed25519 (C2SP signed-note, "Signature types")."""

SIGNATURE_PREFIX = "— "
"""EM DASH (U+2014) and a space start every signature line."""

MAX_SIGNATURES = 100
"""C2SP signed-note: verifiers MUST accept at least 16 signatures and SHOULD cap them; Go's note package uses 100."""


def valid_key_name(name: str) -> bool:
    """A key name is non-empty, with no Unicode space, no '+' and no control character (C2SP signed-note)."""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """C2SP signed-note Ed25519 key ID: first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


class NoteSigner(Protocol):
    """Anything that can sign note text under a key name (a local key, later perhaps an HSM or KMS)."""

    @property
    def name(self) -> str:
        """The key name written in the signature line."""

    @property
    def key_id(self) -> int:
        """The 32-bit key ID written before the signature bytes."""

    def sign(self, message: bytes) -> bytes:
        """Signature bytes over ``message``."""


@dataclass(frozen=True)
class Verifier:
    """A trusted Ed25519 public key under a name; parse one from a verifier key string with ``Verifier.parse``."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}: it must be non-empty, without spaces or '+'")
        if len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        """The C2SP key ID of this name and key."""
        return key_id(self.name, self.public_key)

    @property
    def key_string(self) -> str:
        """The verifier key string ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """Parse a verifier key string ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        name, _, rest = text.partition("+")
        hex_id, _, encoded = rest.partition("+")
        key = _decode_key(encoded, hex_id)
        verifier = cls(name, key)
        if verifier.key_id != int(hex_id, 16):
            raise KeyFormatError(f"key ID {hex_id} does not match the name and public key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 note signer: a key name and a private key. Keep ``key_string`` secret."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._verifier = Verifier(name, raw)
        self._private_key = private_key

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """A signer from a 32-byte Ed25519 seed (RFC 8032 private key)."""
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def parse(cls, text: str) -> Signer:
        """Parse a signer key string ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``."""
        if not text.startswith("PRIVATE+KEY+"):
            raise KeyFormatError("a signer key starts with PRIVATE+KEY+")
        name, _, rest = text.removeprefix("PRIVATE+KEY+").partition("+")
        hex_id, _, encoded = rest.partition("+")
        signer = cls.from_seed(name, _decode_key(encoded, hex_id))
        if signer.key_id != int(hex_id, 16):
            raise KeyFormatError(f"key ID {hex_id} does not match the name and public key")
        return signer

    @property
    def name(self) -> str:
        """The key name."""
        return self._verifier.name

    @property
    def key_id(self) -> int:
        """The C2SP key ID."""
        return self._verifier.key_id

    @property
    def key_string(self) -> str:
        """The secret signer key string, in the sumdb/note encoding."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{base64.b64encode(bytes([ED25519]) + seed).decode()}"

    def verifier(self) -> Verifier:
        """The public half, to give to everyone who checks this signer's notes."""
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``message``."""
        return self._private_key.sign(message)


@dataclass(frozen=True)
class Note:
    """An opened note: its text and the (name, key ID) of every signature that verified."""

    text: str
    signed_by: tuple[tuple[str, int], ...]


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """The signed note: ``text`` (which must end in a newline), a blank line, and one signature line per signer."""
    _check_characters(text)
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if not signers:
        raise NoteError("a signed note needs at least one signature")
    lines = []
    for signer in signers:
        if not valid_key_name(signer.name):
            raise NoteError(f"invalid key name {signer.name!r}")
        raw = signer.key_id.to_bytes(4, "big") + signer.sign(text.encode())
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {base64.b64encode(raw).decode()}\n")
    return text + "\n" + "".join(lines)


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify it (C2SP signed-note rules, as in Go's ``note.Open``).

    Signatures by unknown keys (name and key ID not both known) are ignored; a known key whose signature fails
    rejects the whole note; at least one known key must have signed.
    """
    known = _index(verifiers)
    text, signature_block = _split(message)
    lines = signature_block[:-1].split("\n")  # not splitlines(): NEL and U+2028 are not line ends here
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    signed_by: list[tuple[str, int]] = []
    for line in lines:
        name, ident, signature = _parse_signature_line(line)
        verifier = known.get((name, ident))
        if verifier is None or (name, ident) in signed_by:
            continue
        if not verifier.verify(text.encode(), signature):
            raise SignatureError(f"signature by {name}+{ident:08x} does not verify: the note was altered or forged")
        signed_by.append((name, ident))
    if not signed_by:
        raise UntrustedNoteError("note is not signed by any known key")
    return Note(text=text, signed_by=tuple(signed_by))


def _decode_key(encoded: str, hex_id: str) -> bytes:
    """Check the hex key ID and the Ed25519 type byte; return the 32 key bytes after it."""
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise KeyFormatError("key ID must be 8 hex digits")
    raw = _b64(encoded, KeyFormatError("key must be standard base64"))
    if len(raw) != 33 or raw[0] != ED25519:
        raise KeyFormatError("key must be the Ed25519 type byte 0x01 followed by 32 bytes")
    return raw[1:]


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    """Verifiers by (name, key ID); two different keys under one (name, key ID) are refused as ambiguous."""
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        previous = known.setdefault((verifier.name, verifier.key_id), verifier)
        if previous != verifier:
            raise KeyFormatError(f"two different keys share the name and key ID {verifier.name}+{verifier.key_id:08x}")
    return known


def _split(message: str | bytes) -> tuple[str, str]:
    """Split a note into its text (with final newline) and its signature block at the last blank line."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not valid UTF-8") from None
    _check_characters(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, signature_block = message[: split + 1], message[split + 2 :]
    if not signature_block.endswith("\n"):
        raise NoteError("note must end with a newline-terminated signature line")
    return text, signature_block


def _parse_signature_line(line: str) -> tuple[str, int, bytes]:
    """Parse ``— <name> <base64(key ID || signature)>``."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("signature line must start with an em dash and a space")
    name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    raw = _b64(encoded, NoteError("signature is not standard base64"))
    if not valid_key_name(name) or len(raw) < 5:
        raise NoteError(f"malformed signature line for key {name!r}")
    return name, int.from_bytes(raw[:4], "big"), raw[4:]


def _check_characters(text: str) -> None:
    """C2SP signed-note: no ASCII control character other than newline."""
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note contains a control character")


def _b64(text: str, error: Exception) -> bytes:
    """Canonical standard base64 (RFC 4648 §4): padded, alphabet only, unused trailing bits zero.

    Stricter than Go's decoder on the last point so that no byte of a note can change without breaking it;
    encoders (Go's included) only ever write the canonical form.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise error from None
    if base64.b64encode(raw).decode() != text:
        raise error
    return raw

"""RFC 9180 HPKE, base mode, single-shot Seal/Open, for DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256 and AES-GCM.

Why our own ~100 lines rather than ``cryptography.hazmat.primitives.hpke``: that module's public ``Suite.encrypt``
takes no ``aad`` (only the private ``_encrypt_with_aad`` does) and cannot be given a fixed ephemeral key, so it can
be neither used with our aad binding nor checked against the RFC's known answers. This module is built on
cryptography's X25519, HKDF-Expand and AES-GCM; the tests prove it on RFC 9180 A.1.1 and cross-check both directions
against cryptography's independent (OpenSSL-backed) HPKE for the AES-256-GCM suite used for bids. It is also the
exact recipe the browser's WebCrypto code follows (``docs/sealing.md``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from quartermaster.sealing.errors import DecryptionError, InvalidKeyError, UnsupportedEnvelopeError

Rng = Callable[[int], bytes]

KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
AEAD_AES_128_GCM = 0x0001
AEAD_AES_256_GCM = 0x0002

KEY_SIZE = 32  # Npk = Nsk = Nenc = Nsecret for DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1)
NONCE_SIZE = 12  # Nn for both AES-GCM variants
TAG_SIZE = 16  # Nt
_VERSION_LABEL = b"HPKE-v1"
_MODE_BASE = b"\x00"
_AEAD_KEY_SIZES = {AEAD_AES_128_GCM: 16, AEAD_AES_256_GCM: 32}


@dataclass(frozen=True)
class HpkeSuite:
    """DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and one AES-GCM AEAD (bids use AES-256-GCM, see ``BID_SUITE``)."""

    aead_id: int = AEAD_AES_256_GCM
    kem_id: int = KEM_X25519_HKDF_SHA256
    kdf_id: int = KDF_HKDF_SHA256

    def __post_init__(self) -> None:
        """Only the KEM and KDF above and the two AES-GCM AEADs are implemented."""
        supported = self.kem_id == KEM_X25519_HKDF_SHA256 and self.kdf_id == KDF_HKDF_SHA256
        if not supported or self.aead_id not in _AEAD_KEY_SIZES:
            raise UnsupportedEnvelopeError(
                f"unsupported HPKE suite ({self.kem_id:#06x}, {self.kdf_id:#06x}, {self.aead_id:#06x})"
            )

    @property
    def aead_key_size(self) -> int:
        """Nk: 16 for AES-128-GCM, 32 for AES-256-GCM."""
        return _AEAD_KEY_SIZES[self.aead_id]

    @property
    def suite_id(self) -> bytes:
        """RFC 9180 §5.1: "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)."""
        return b"HPKE" + _i2osp(self.kem_id, 2) + _i2osp(self.kdf_id, 2) + _i2osp(self.aead_id, 2)

    @property
    def kem_suite_id(self) -> bytes:
        """RFC 9180 §4.1: "KEM" || I2OSP(kem_id, 2)."""
        return b"KEM" + _i2osp(self.kem_id, 2)


BID_SUITE = HpkeSuite()


def _i2osp(value: int, length: int) -> bytes:
    """Big-endian encoding of ``value`` in ``length`` bytes (RFC 8017 I2OSP)."""
    return value.to_bytes(length, "big")


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    """RFC 9180 §4: HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm); an empty salt is HMAC's zero key."""
    return hmac.new(salt, _VERSION_LABEL + suite_id + label + ikm, hashlib.sha256).digest()


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    """RFC 9180 §4: HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)."""
    labeled_info = _i2osp(length, 2) + _VERSION_LABEL + suite_id + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled_info).derive(prk)


def public_key_of(private_key: bytes) -> bytes:
    """The 32-byte X25519 public key of a 32-byte private key (RFC 7748)."""
    return _private_key(private_key).public_key().public_bytes_raw()


def _private_key(raw: bytes) -> X25519PrivateKey:
    """Load a raw X25519 private key, refusing anything but 32 bytes."""
    if len(raw) != KEY_SIZE:
        raise InvalidKeyError(f"an X25519 private key is {KEY_SIZE} bytes, got {len(raw)}")
    return X25519PrivateKey.from_private_bytes(raw)


def _public_key(raw: bytes) -> X25519PublicKey:
    """Load a raw X25519 public key, refusing anything but 32 bytes."""
    if len(raw) != KEY_SIZE:
        raise InvalidKeyError(f"an X25519 public key is {KEY_SIZE} bytes, got {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def _dh(private_key: X25519PrivateKey, public_key: X25519PublicKey) -> bytes:
    """X25519 DH; RFC 9180 §7.1.4 requires aborting on the all-zero output of a low-order public key."""
    try:
        shared = private_key.exchange(public_key)
    except ValueError:  # cryptography itself refuses the all-zero result
        raise InvalidKeyError("the public key is a low-order point (X25519 output is all zero)") from None
    return shared


def _shared_secret(suite: HpkeSuite, dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    """RFC 9180 §4.1 ExtractAndExpand with kem_context = enc || pkRm."""
    eae_prk = labeled_extract(suite.kem_suite_id, b"", b"eae_prk", dh)
    return labeled_expand(suite.kem_suite_id, eae_prk, b"shared_secret", enc + pk_r, KEY_SIZE)


def key_schedule(suite: HpkeSuite, shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    """RFC 9180 §5.1 KeySchedule for mode_base (empty psk and psk_id): the AEAD key and base_nonce."""
    sid = suite.suite_id
    psk_id_hash = labeled_extract(sid, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(sid, b"", b"info_hash", info)
    context = _MODE_BASE + psk_id_hash + info_hash
    secret = labeled_extract(sid, shared_secret, b"secret", b"")
    key = labeled_expand(sid, secret, b"key", context, suite.aead_key_size)
    base_nonce = labeled_expand(sid, secret, b"base_nonce", context, NONCE_SIZE)
    return key, base_nonce


def seal_with_ephemeral(
    suite: HpkeSuite, pk_r: bytes, info: bytes, aad: bytes, plaintext: bytes, sk_e: bytes
) -> tuple[bytes, bytes]:
    """RFC 9180 §6.1 SealBase with a given ephemeral private key: ``(enc, ciphertext)``. Known-answer tests use it."""
    recipient = _public_key(pk_r)
    ephemeral = _private_key(sk_e)
    enc = ephemeral.public_key().public_bytes_raw()
    shared_secret = _shared_secret(suite, _dh(ephemeral, recipient), enc, pk_r)
    key, base_nonce = key_schedule(suite, shared_secret, info)
    # Single-shot: sequence number 0, so the nonce is base_nonce itself (§5.2 ComputeNonce(0)).
    return enc, AESGCM(key).encrypt(base_nonce, plaintext, aad)


def seal(
    pk_r: bytes, info: bytes, aad: bytes, plaintext: bytes, *, rng: Rng, suite: HpkeSuite = BID_SUITE
) -> tuple[bytes, bytes]:
    """RFC 9180 SealBase to ``pk_r`` with a fresh ephemeral key from ``rng``: ``(enc, ciphertext)``."""
    return seal_with_ephemeral(suite, pk_r, info, aad, plaintext, rng(KEY_SIZE))


def open_sealed(
    sk_r: bytes, enc: bytes, info: bytes, aad: bytes, ciphertext: bytes, *, suite: HpkeSuite = BID_SUITE
) -> bytes:
    """RFC 9180 §6.1 OpenBase; any alteration of enc, info, aad or ciphertext, or a wrong key, is a DecryptionError."""
    recipient = _private_key(sk_r)
    if len(enc) != KEY_SIZE:
        raise DecryptionError(f"the encapsulated key is {KEY_SIZE} bytes, got {len(enc)}")
    pk_r = recipient.public_key().public_bytes_raw()
    try:
        dh = _dh(recipient, _public_key(enc))
    except InvalidKeyError:
        raise DecryptionError("the encapsulated key is a low-order point") from None
    key, base_nonce = key_schedule(suite, _shared_secret(suite, dh, enc, pk_r), info)
    try:
        return AESGCM(key).decrypt(base_nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionError("the ciphertext does not open: altered, for another context, or the wrong key") from None

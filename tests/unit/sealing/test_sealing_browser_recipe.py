"""docs/sealing.md §3's WebCrypto recipe (HMAC with a 32-zero key, one-call HKDF), run here, gives the same envelope."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from test_sealing_envelope import EPHEMERAL, KAT_COMMITMENT, KAT_ENVELOPE, PAYLOAD, PK

SUITE_ID = b"HPKE\x00\x20\x00\x01\x00\x02"
KEM_SUITE_ID = b"KEM\x00\x20"


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """What WebCrypto's deriveBits({name: "HKDF"}) computes: Expand(Extract(salt, ikm), info)."""
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def _hmac_zero_key(message: bytes) -> bytes:
    return hmac.new(bytes(32), message, hashlib.sha256).digest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_documented_browser_recipe_reproduces_the_known_answer() -> None:
    info = json.dumps({"tender": "UA-2026-000123", "type": "quartermaster.sealed-bid", "v": 1}, separators=(",", ":"))
    aad = json.dumps({"lot": "lot-1", "supplier": "supplier-42"}, separators=(",", ":")).encode()
    ephemeral = X25519PrivateKey.from_private_bytes(EPHEMERAL)
    enc = ephemeral.public_key().public_bytes_raw()
    dh = ephemeral.exchange(X25519PublicKey.from_public_bytes(PK))
    kem_context = enc + PK
    shared_secret = _hkdf(
        b"",
        b"HPKE-v1" + KEM_SUITE_ID + b"eae_prk" + dh,
        b"\x00\x20HPKE-v1" + KEM_SUITE_ID + b"shared_secret" + kem_context,
        32,
    )
    psk_id_hash = _hmac_zero_key(b"HPKE-v1" + SUITE_ID + b"psk_id_hash")
    info_hash = _hmac_zero_key(b"HPKE-v1" + SUITE_ID + b"info_hash" + info.encode())
    context = b"\x00" + psk_id_hash + info_hash
    secret_ikm = b"HPKE-v1" + SUITE_ID + b"secret"
    key = _hkdf(shared_secret, secret_ikm, b"\x00\x20HPKE-v1" + SUITE_ID + b"key" + context, 32)
    nonce = _hkdf(shared_secret, secret_ikm, b"\x00\x0cHPKE-v1" + SUITE_ID + b"base_nonce" + context, 12)
    ciphertext = AESGCM(key).encrypt(nonce, PAYLOAD, aad)
    envelope = {
        "aead": 2,
        "ct": _b64url(ciphertext),
        "enc": _b64url(enc),
        "kdf": 1,
        "kem": 32,
        "lot": "lot-1",
        "supplier": "supplier-42",
        "tender": "UA-2026-000123",
        "type": "quartermaster.sealed-bid",
        "v": 1,
    }
    encoded = json.dumps(envelope, separators=(",", ":")).encode()  # insertion order, as JSON.stringify writes
    assert encoded == KAT_ENVELOPE
    assert hashlib.sha256(encoded).hexdigest() == KAT_COMMITMENT

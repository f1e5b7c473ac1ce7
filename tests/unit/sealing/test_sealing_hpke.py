"""RFC 9180 base mode: the RFC's known answers, and agreement with cryptography's own (OpenSSL-backed) HPKE."""

from __future__ import annotations

import pytest
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hpke as lib_hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from quartermaster.sealing import hpke
from quartermaster.sealing.errors import DecryptionError, InvalidKeyError, UnsupportedEnvelopeError

h = bytes.fromhex

# RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base.
A11_INFO = h("4f6465206f6e2061204772656369616e2055726e")
A11_SKEM = h("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
A11_PKEM = h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
A11_SKRM = h("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
A11_PKRM = h("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
A11_SHARED_SECRET = h("fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc")
A11_KEY = h("4531685d41d65f03dc48f6b8302c05b0")
A11_BASE_NONCE = h("56d890e5accaaf011cff4b7d")
A11_PT = h("4265617574792069732074727574682c20747275746820626561757479")
A11_AAD0 = h("436f756e742d30")
A11_CT0 = h("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a")
AES128 = hpke.HpkeSuite(aead_id=hpke.AEAD_AES_128_GCM)

LIB_SUITE = lib_hpke.Suite(lib_hpke.KEM.X25519, lib_hpke.KDF.HKDF_SHA256, lib_hpke.AEAD.AES_256_GCM)


def test_the_rfc_9180_a11_key_pairs_match() -> None:
    assert hpke.public_key_of(A11_SKEM) == A11_PKEM
    assert hpke.public_key_of(A11_SKRM) == A11_PKRM


def test_the_key_schedule_gives_the_rfc_9180_a11_key_and_base_nonce() -> None:
    assert hpke.key_schedule(AES128, A11_SHARED_SECRET, A11_INFO) == (A11_KEY, A11_BASE_NONCE)


def test_seal_gives_the_rfc_9180_a11_enc_and_first_ciphertext() -> None:
    enc, ciphertext = hpke.seal_with_ephemeral(AES128, A11_PKRM, A11_INFO, A11_AAD0, A11_PT, A11_SKEM)
    assert (enc, ciphertext) == (A11_PKEM, A11_CT0)


def test_open_reads_the_rfc_9180_a11_first_ciphertext() -> None:
    assert hpke.open_sealed(A11_SKRM, A11_PKEM, A11_INFO, A11_AAD0, A11_CT0, suite=AES128) == A11_PT


def test_the_suite_ids_are_the_rfc_9180_encodings() -> None:
    assert hpke.BID_SUITE.suite_id == b"HPKE\x00\x20\x00\x01\x00\x02"
    assert hpke.BID_SUITE.kem_suite_id == b"KEM\x00\x20"
    assert hpke.BID_SUITE.aead_key_size == 32


@pytest.mark.parametrize(("kem", "kdf", "aead"), [(0x10, 1, 2), (0x20, 3, 2), (0x20, 1, 3)])
def test_other_suites_are_refused(kem: int, kdf: int, aead: int) -> None:
    with pytest.raises(UnsupportedEnvelopeError):
        hpke.HpkeSuite(aead_id=aead, kem_id=kem, kdf_id=kdf)


@settings(max_examples=25, deadline=None)
@given(plaintext=st.binary(max_size=300), info=st.binary(max_size=64))
def test_the_library_opens_what_we_seal_and_we_open_what_it_seals(plaintext: bytes, info: bytes) -> None:
    """Independent implementation cross-check for AES-256-GCM, which RFC 9180's appendix has no X25519 vector for."""
    recipient = X25519PrivateKey.generate()
    pk = recipient.public_key().public_bytes_raw()
    sk = recipient.private_bytes_raw()
    enc, ciphertext = hpke.seal(
        pk, info, b"", plaintext, rng=lambda size: X25519PrivateKey.generate().private_bytes_raw()[:size]
    )
    assert LIB_SUITE.decrypt(enc + ciphertext, recipient, info=info) == plaintext
    theirs = LIB_SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(pk), info=info)
    assert hpke.open_sealed(sk, theirs[:32], info, b"", theirs[32:]) == plaintext


@settings(max_examples=10, deadline=None)
@given(plaintext=st.binary(max_size=100), aad=st.binary(min_size=1, max_size=64))
def test_the_library_agrees_on_aad(plaintext: bytes, aad: bytes) -> None:
    """The aad path, through the library's (private, test-only) aad entry points."""
    recipient = X25519PrivateKey.generate()
    pk = recipient.public_key().public_bytes_raw()
    enc, ciphertext = hpke.seal(pk, b"i", aad, plaintext, rng=lambda size: bytes(range(1, size + 1)))
    assert rust_openssl.hpke._decrypt_with_aad(LIB_SUITE, enc + ciphertext, recipient, info=b"i", aad=aad) == plaintext
    theirs = rust_openssl.hpke._encrypt_with_aad(LIB_SUITE, plaintext, recipient.public_key(), info=b"i", aad=aad)
    assert hpke.open_sealed(recipient.private_bytes_raw(), theirs[:32], b"i", aad, theirs[32:]) == plaintext
    with pytest.raises(DecryptionError):
        hpke.open_sealed(recipient.private_bytes_raw(), theirs[:32], b"i", aad + b"x", theirs[32:])


def _sealed() -> tuple[bytes, bytes, bytes]:
    enc, ciphertext = hpke.seal(A11_PKRM, b"info", b"aad", b"price 100", rng=lambda size: A11_SKEM)
    return A11_SKRM, enc, ciphertext


@pytest.mark.parametrize("part", ["enc", "ciphertext", "info", "aad"])
def test_flipping_any_bit_of_enc_ciphertext_info_or_aad_is_detected(part: str) -> None:
    sk, enc, ciphertext = _sealed()
    parts = {"enc": enc, "ciphertext": ciphertext, "info": b"info", "aad": b"aad"}
    for position in range(len(parts[part])):
        altered = dict(parts)
        altered[part] = parts[part][:position] + bytes([parts[part][position] ^ 1]) + parts[part][position + 1 :]
        with pytest.raises(DecryptionError):
            hpke.open_sealed(sk, altered["enc"], altered["info"], altered["aad"], altered["ciphertext"])


def test_another_private_key_does_not_open() -> None:
    _, enc, ciphertext = _sealed()
    with pytest.raises(DecryptionError):
        hpke.open_sealed(A11_SKEM, enc, b"info", b"aad", ciphertext)


def test_a_truncated_enc_and_a_low_order_enc_do_not_open() -> None:
    sk, enc, ciphertext = _sealed()
    with pytest.raises(DecryptionError, match="32 bytes"):
        hpke.open_sealed(sk, enc[:31], b"info", b"aad", ciphertext)
    with pytest.raises(DecryptionError, match="low-order"):
        hpke.open_sealed(sk, bytes(32), b"info", b"aad", ciphertext)


def test_keys_of_the_wrong_length_or_a_low_order_public_key_are_refused() -> None:
    with pytest.raises(InvalidKeyError, match="public key is 32 bytes"):
        hpke.seal(bytes(31), b"", b"", b"", rng=lambda size: A11_SKEM)
    with pytest.raises(InvalidKeyError, match="private key is 32 bytes"):
        hpke.open_sealed(bytes(33), A11_PKEM, b"", b"", bytes(16))
    with pytest.raises(InvalidKeyError, match="low-order"):
        hpke.seal(bytes(32), b"", b"", b"", rng=lambda size: A11_SKEM)

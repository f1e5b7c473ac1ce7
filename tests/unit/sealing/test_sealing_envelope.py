"""Sealed-bid envelopes: round trips, a known answer for the encoding, and each refusal named by its reason."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal

import pytest
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hpke as lib_hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from quartermaster.sealing import (
    BidContext,
    CommitmentMismatchError,
    ContextMismatchError,
    DecryptionError,
    InvalidArgumentError,
    MalformedEnvelopeError,
    SealedBid,
    UnsupportedEnvelopeError,
    generate_key_pair,
    open_bid,
    parse_sealed_bid,
    price_payload,
    seal_bid,
)
from quartermaster.sealing.encoding import b64url_decode, b64url_encode

h = bytes.fromhex
PK = h("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")  # RFC 9180 A.1.1 pkRm
SK = h("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")  # and skRm
EPHEMERAL = h("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")  # and skEm
PAYLOAD = b'{"currency":"UAH","lots":{"lot-1":"1500000.50"}}'
KAT_INFO = b'{"tender":"UA-2026-000123","type":"quartermaster.sealed-bid","v":1}'
KAT_AAD = b'{"lot":"lot-1","supplier":"supplier-42"}'
KAT_ENVELOPE = (
    b'{"aead":2,"ct":"joFx2Rxq3G9qyPzkQxGagE1cZ_YObp8gTCBp5VGGqzaVgd40ZwY_4jnjL_KNSBSCCdKydXlb12FI0TbXIfAubw",'
    b'"enc":"N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE","kdf":1,"kem":32,"lot":"lot-1","supplier":"supplier-42",'
    b'"tender":"UA-2026-000123","type":"quartermaster.sealed-bid","v":1}'
)
KAT_COMMITMENT = "58967dee69438e31cd815209054972cdf88a08a4a28d73b36f4909bc1b167a5e"
CONTEXT = BidContext("UA-2026-000123", "supplier-42", "lot-1")


def _kat_bid() -> SealedBid:
    return seal_bid(PK, "UA-2026-000123", "supplier-42", PAYLOAD, lot_id="lot-1", rng=lambda size: EPHEMERAL)


def test_the_encoding_known_answer() -> None:
    """Pinned bytes for the browser's implementation to reproduce: info, aad, envelope and commitment."""
    assert price_payload("UAH", {"lot-1": Decimal("1500000.50")}) == PAYLOAD
    bid = _kat_bid()
    assert (bid.context.info(), bid.context.aad()) == (KAT_INFO, KAT_AAD)
    assert bid.to_bytes() == KAT_ENVELOPE
    assert bid.commitment() == KAT_COMMITMENT == hashlib.sha256(KAT_ENVELOPE).hexdigest()
    assert bid.enc == h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")


def test_the_known_answer_opens_with_the_library_hpke_too() -> None:
    suite = lib_hpke.Suite(lib_hpke.KEM.X25519, lib_hpke.KDF.HKDF_SHA256, lib_hpke.AEAD.AES_256_GCM)
    document = json.loads(KAT_ENVELOPE)
    sealed = b64url_decode(document["enc"], "enc") + b64url_decode(document["ct"], "ct")
    key = X25519PrivateKey.from_private_bytes(SK)
    assert rust_openssl.hpke._decrypt_with_aad(suite, sealed, key, info=KAT_INFO, aad=KAT_AAD) == PAYLOAD


def test_the_known_answer_parses_and_opens() -> None:
    bid = parse_sealed_bid(KAT_ENVELOPE)
    assert bid == _kat_bid()
    assert open_bid(SK, bid, KAT_COMMITMENT, expected_context=CONTEXT) == PAYLOAD
    assert open_bid(SK, bid, KAT_COMMITMENT.upper()) == PAYLOAD


@settings(max_examples=30, deadline=None)
@given(
    payload=st.binary(max_size=2000),
    tender=st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=40),
    supplier=st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=40),
    lot=st.none() | st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=10),
)
def test_round_trip_through_the_encoding(payload: bytes, tender: str, supplier: str, lot: str | None) -> None:
    keys = generate_key_pair()
    bid = seal_bid(keys.public_key, tender, supplier, payload, lot_id=lot)
    stored = bid.to_bytes()
    parsed = parse_sealed_bid(stored)
    assert parsed == bid
    expected = BidContext(tender, supplier, lot)
    assert open_bid(keys.private_key, parsed, bid.commitment(), expected_context=expected) == payload


def test_each_seal_is_fresh() -> None:
    keys = generate_key_pair()
    first, second = (seal_bid(keys.public_key, "t", "s", b"same") for _ in range(2))
    assert first.enc != second.enc
    assert first.commitment() != second.commitment()


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 1]) + data[position + 1 :]


@pytest.mark.parametrize("field", ["enc", "ciphertext"])
def test_an_altered_enc_or_ciphertext_fails_the_logged_commitment(field: str) -> None:
    bid = _kat_bid()
    altered = dataclasses.replace(bid, **{field: _flip(getattr(bid, field), 3)})
    with pytest.raises(CommitmentMismatchError):
        open_bid(SK, altered, KAT_COMMITMENT)


@pytest.mark.parametrize("field", ["enc", "ciphertext"])
def test_an_altered_enc_or_ciphertext_with_a_forged_commitment_still_does_not_open(field: str) -> None:
    bid = _kat_bid()
    altered = dataclasses.replace(bid, **{field: _flip(getattr(bid, field), 3)})
    with pytest.raises(DecryptionError):
        open_bid(SK, altered, altered.commitment())


@pytest.mark.parametrize(
    "context",
    [
        BidContext("UA-2026-000124", "supplier-42", "lot-1"),  # info: another tender
        BidContext("UA-2026-000123", "supplier-43", "lot-1"),  # aad: another supplier
        BidContext("UA-2026-000123", "supplier-42", "lot-2"),  # aad: another lot
        BidContext("UA-2026-000123", "supplier-42", None),  # aad: the whole tender
    ],
)
def test_a_bid_relabelled_to_another_context(context: BidContext) -> None:
    relabelled = dataclasses.replace(_kat_bid(), context=context)
    with pytest.raises(ContextMismatchError):
        open_bid(SK, relabelled, relabelled.commitment(), expected_context=CONTEXT)
    with pytest.raises(CommitmentMismatchError):
        open_bid(SK, relabelled, KAT_COMMITMENT, expected_context=context)
    with pytest.raises(DecryptionError):  # even with the label and commitment both forged, info or aad differ
        open_bid(SK, relabelled, relabelled.commitment(), expected_context=context)


def test_a_swapped_bid_fails_the_commitment() -> None:
    other = seal_bid(PK, "UA-2026-000123", "supplier-42", b"other prices", lot_id="lot-1")
    with pytest.raises(CommitmentMismatchError, match="commitment"):
        open_bid(SK, other, KAT_COMMITMENT, expected_context=CONTEXT)


def test_another_tenders_key_does_not_open() -> None:
    with pytest.raises(DecryptionError):
        open_bid(generate_key_pair().private_key, _kat_bid(), KAT_COMMITMENT)


def test_a_non_ascii_expected_commitment_is_a_mismatch_not_a_crash() -> None:
    with pytest.raises(CommitmentMismatchError):
        open_bid(SK, _kat_bid(), "é" * 64)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"version": 2}, "version 2"), ({"aead_id": 1}, "suite"), ({"kem_id": 16}, "suite"), ({"kdf_id": 3}, "suite")],
)
def test_unknown_versions_and_suites_are_refused_by_name(changes: dict[str, int], reason: str) -> None:
    bid = dataclasses.replace(_kat_bid(), **changes)
    with pytest.raises(UnsupportedEnvelopeError, match=reason):
        open_bid(SK, bid, bid.commitment())
    with pytest.raises(UnsupportedEnvelopeError, match=reason):
        parse_sealed_bid(bid.to_bytes())


def _document(**changes: object) -> bytes:
    document = json.loads(KAT_ENVELOPE)
    document.update(changes)
    return json.dumps(
        {k: v for k, v in document.items() if v != "DROP"}, sort_keys=True, separators=(",", ":")
    ).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        b"[1]",
        b"{",
        KAT_ENVELOPE + b" ",  # not canonical
        KAT_ENVELOPE.replace(b'"aead":2,', b'"aead":2, '),
        b'{"aead":2,"aead":2}',
        _document(type="quartermaster.sealed-share"),
        _document(extra=1),
        _document(lot="DROP"),
        _document(v=True),
        _document(v="1"),
        _document(tender=7),
        _document(tender=""),
        _document(supplier="a\nb"),
        _document(lot=""),
        _document(enc="N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE="),  # padded
        _document(enc="N/2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE"),  # not the url alphabet
        _document(enc="N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDF"),  # stray low bits
        _document(enc="N_2jV"),  # 5 characters encode no byte string
        _document(enc="N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_"),  # 30 bytes
        _document(ct="AAAA"),  # shorter than the tag
        _document(ct=["x"]),
        b'{"v":NaN}',
    ],
)
def test_malformed_envelopes_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedEnvelopeError):
        parse_sealed_bid(data)


def test_bad_seal_arguments_are_refused_by_name() -> None:
    with pytest.raises(InvalidArgumentError, match="tender_id"):
        seal_bid(PK, "", "s", b"")
    with pytest.raises(InvalidArgumentError, match="supplier_id"):
        seal_bid(PK, "t", "x" * 201, b"")
    with pytest.raises(InvalidArgumentError, match="lot_id"):
        seal_bid(PK, "t", "s", b"", lot_id="\x00")


def test_an_oversized_payload_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("quartermaster.sealing.envelope.MAX_PAYLOAD", 4)
    with pytest.raises(InvalidArgumentError, match="at most 4 bytes"):
        seal_bid(PK, "t", "s", b"12345")
    assert seal_bid(PK, "t", "s", b"1234").ciphertext


def test_b64url_round_trips_every_length() -> None:
    for size in range(0, 70):
        data = bytes(range(size))
        assert b64url_decode(b64url_encode(data), "x") == data

"""Sealed bid documents: round trips, pinned encoding, and each refusal named by its reason."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sealing_envelope import EPHEMERAL, PK, SK

from quartermaster.sealing import (
    CommitmentMismatchError,
    ContextMismatchError,
    DecryptionError,
    InvalidArgumentError,
    MalformedEnvelopeError,
    UnsupportedEnvelopeError,
    generate_key_pair,
)
from quartermaster.sealing.documents import (
    DocumentContext,
    OpenedDocument,
    document_payload,
    open_document,
    parse_document_payload,
    parse_sealed_document,
    read_header,
    seal_document,
)
from quartermaster.sealing.encoding import b64url_encode

CONTEXT = DocumentContext("UA-2026-000123", "supplier-42", "bid-7")
SHORT_ENC = b64url_encode(bytes(31)).encode()  # well-formed base64url, one byte short of a key
TITLE = "Технічна пропозиція.pdf"
KAT_HEADER = (
    b'{"aead":2,"bid":"bid-7","enc":"N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE","kdf":1,"kem":32,'
    b'"supplier":"supplier-42","tender":"UA-2026-000123","type":"quartermaster.sealed-document","v":1}'
)


def _kat(content: bytes = b"%PDF-1.7 technical proposal") -> bytes:
    sealed = seal_document(
        PK, CONTEXT, title=TITLE, content_type="application/pdf", content=content, rng=lambda n: EPHEMERAL
    )
    return sealed.to_bytes()


def test_the_header_is_one_canonical_line_and_the_commitment_is_the_sha256_of_everything() -> None:
    data = _kat()
    header, _, ciphertext = data.partition(b"\n")
    assert header == KAT_HEADER
    sealed = parse_sealed_document(data)
    assert sealed.ciphertext == ciphertext
    assert sealed.to_bytes() == data
    assert sealed.commitment() == hashlib.sha256(data).hexdigest()
    assert (CONTEXT.info(), CONTEXT.aad()) == (
        b'{"tender":"UA-2026-000123","type":"quartermaster.sealed-document","v":1}',
        b'{"bid":"bid-7","supplier":"supplier-42"}',
    )
    assert read_header(data) == (CONTEXT, sealed.enc, len(KAT_HEADER) + 1)


def test_it_opens_to_title_media_type_and_content() -> None:
    data = _kat(b"\x00\n binary \xff content")
    opened = open_document(SK, data, hashlib.sha256(data).hexdigest(), expected_context=CONTEXT)
    assert opened == OpenedDocument(TITLE, "application/pdf", b"\x00\n binary \xff content")


@settings(max_examples=25, deadline=None)
@given(content=st.binary(max_size=4096), title=st.text(min_size=1, max_size=300).filter(str.isprintable))
def test_whatever_is_sealed_opens_unchanged(content: bytes, title: str) -> None:
    if not title.strip():
        return
    keys = generate_key_pair()
    sealed = seal_document(keys.public_key, CONTEXT, title=title, content_type="text/plain", content=content)
    opened = open_document(keys.private_key, sealed.to_bytes(), sealed.commitment(), expected_context=CONTEXT)
    assert (opened.title, opened.content) == (title, content)


def test_a_changed_byte_is_caught_by_the_commitment_and_without_it_by_hpke() -> None:
    data = bytearray(_kat())
    data[-1] ^= 1
    with pytest.raises(CommitmentMismatchError):
        open_document(SK, bytes(data), hashlib.sha256(_kat()).hexdigest(), expected_context=CONTEXT)
    with pytest.raises(DecryptionError):  # an insider who rewrites the commitment too still cannot make it open
        open_document(SK, bytes(data), hashlib.sha256(bytes(data)).hexdigest(), expected_context=CONTEXT)


def test_a_document_filed_under_another_bid_is_refused_and_a_relabelled_one_does_not_open() -> None:
    data = _kat()
    other = dataclasses.replace(CONTEXT, bid_id="bid-8")
    with pytest.raises(ContextMismatchError):
        open_document(SK, data, hashlib.sha256(data).hexdigest(), expected_context=other)
    relabelled = data.replace(b'"bid":"bid-7"', b'"bid":"bid-8"', 1)
    with pytest.raises(DecryptionError):  # the header claims bid-8, but the aad sealed bid-7
        open_document(SK, relabelled, hashlib.sha256(relabelled).hexdigest(), expected_context=other)


def test_the_wrong_key_does_not_open() -> None:
    data = _kat()
    with pytest.raises(DecryptionError):
        open_document(generate_key_pair().private_key, data, hashlib.sha256(data).hexdigest(), expected_context=CONTEXT)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"no header line at all", MalformedEnvelopeError),
        (b"x" * 3000 + b"\n", MalformedEnvelopeError),
        (b'{"type":"quartermaster.sealed-bid"}\nct', MalformedEnvelopeError),
        (KAT_HEADER.replace(b'"v":1', b'"v":2') + b"\n" + bytes(16), UnsupportedEnvelopeError),
        (KAT_HEADER.replace(b'"aead":2', b'"aead":1') + b"\n" + bytes(16), UnsupportedEnvelopeError),
        (KAT_HEADER.replace(b'"kdf":1,', b"") + b"\n" + bytes(16), MalformedEnvelopeError),
        (KAT_HEADER.replace(b'"bid":"bid-7",', b'"bid":"",') + b"\n" + bytes(16), MalformedEnvelopeError),
        (KAT_HEADER.replace(b"N_2j", b"AAAA").replace(b"RDE", b"R") + b"\n" + bytes(16), MalformedEnvelopeError),
        (KAT_HEADER.replace(b"{", b"{ ", 1) + b"\n" + bytes(16), MalformedEnvelopeError),  # not canonical
        (KAT_HEADER + b"\n" + bytes(15), MalformedEnvelopeError),  # shorter than the tag
        (
            KAT_HEADER.replace(b"N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE", SHORT_ENC) + b"\n" + bytes(16),
            MalformedEnvelopeError,
        ),
    ],
)
def test_malformed_envelopes_are_refused_by_name(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_sealed_document(data)


def test_titles_and_media_types_are_checked_on_both_sides() -> None:
    for title, content_type in (("", "text/plain"), (" ", "text/plain"), ("x" * 301, "text/plain"), ("a\nb", "t/p")):
        with pytest.raises(InvalidArgumentError):
            document_payload(title, content_type, b"")
    with pytest.raises(InvalidArgumentError):
        document_payload("ok", "", b"")
    for plaintext in (b"no newline", b'{"title":"t"}\n', b'{"content_type":"t/p","title":""}\n', b"[1]\n"):
        with pytest.raises(MalformedEnvelopeError):
            parse_document_payload(plaintext)
    assert parse_document_payload(document_payload("t", "t/p", b"\n")).content == b"\n"

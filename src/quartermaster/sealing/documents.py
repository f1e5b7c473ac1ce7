"""Sealed bid documents: a file HPKE-encrypted to the tender's opening key, title and media type sealed with it.

A document may be tens of megabytes, so its envelope is binary rather than base64 in JSON: one line of RFC 8785 JSON
(the header: type, version, suite, tender, supplier, bid and HPKE ``enc``), a newline, then the raw ciphertext.
Canonical JSON holds no raw newline, so the first ``\\n`` ends the header; parsing is strict, so one sealed document
has exactly one byte string and its SHA-256 (the blob's name in the store) is its commitment.

``info`` binds the type, version and tender; ``aad`` binds the supplier and the bid, so a document sealed for one
bid opens for no other. The plaintext is ``canonical({"content_type", "title"}) + "\\n" + file``: before opening the
platform knows a sealed document's size and kind (its OCDS ``documentType``), never its name or content.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from quartermaster.sealing import hpke
from quartermaster.sealing.encoding import (
    b64url_decode,
    b64url_encode,
    canonical,
    check_identifier,
    check_keys,
    identifier_field,
    int_field,
    parse_canonical,
    text_field,
)
from quartermaster.sealing.envelope import check_suite
from quartermaster.sealing.errors import (
    CommitmentMismatchError,
    ContextMismatchError,
    InvalidArgumentError,
    MalformedEnvelopeError,
)

DOCUMENT_TYPE = "quartermaster.sealed-document"
MEDIA_TYPE = "application/vnd.quartermaster.sealed-document"
VERSION = 1
MAX_HEADER = 2048  # bytes before the newline: identifiers are at most 200 characters each
MAX_TITLE = 300
MAX_CONTENT_TYPE = 200
_HEADER = frozenset({"type", "v", "kem", "kdf", "aead", "tender", "supplier", "bid", "enc"})
_META = frozenset({"title", "content_type"})


@dataclass(frozen=True)
class DocumentContext:
    """What a sealed document belongs to: the tender, the supplier that sealed it and the bid it is attached to."""

    tender_id: str
    supplier_id: str
    bid_id: str

    def __post_init__(self) -> None:
        """Identifiers are 1 to 200 printable characters."""
        check_identifier("tender_id", self.tender_id)
        check_identifier("supplier_id", self.supplier_id)
        check_identifier("bid_id", self.bid_id)

    def info(self) -> bytes:
        """HPKE ``info``: canonical JSON of the envelope type, version and tender id."""
        return canonical({"type": DOCUMENT_TYPE, "v": VERSION, "tender": self.tender_id})

    def aad(self) -> bytes:
        """HPKE ``aad``: canonical JSON of the supplier and bid ids."""
        return canonical({"supplier": self.supplier_id, "bid": self.bid_id})


@dataclass(frozen=True)
class SealedDocument:
    """A sealed document (version 1): the context and HPKE ``enc`` in the header, then the ciphertext."""

    context: DocumentContext
    enc: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        """The canonical header line (without its newline)."""
        suite = hpke.BID_SUITE
        return canonical(
            {
                "type": DOCUMENT_TYPE,
                "v": VERSION,
                "kem": suite.kem_id,
                "kdf": suite.kdf_id,
                "aead": suite.aead_id,
                "tender": self.context.tender_id,
                "supplier": self.context.supplier_id,
                "bid": self.context.bid_id,
                "enc": b64url_encode(self.enc),
            }
        )

    def to_bytes(self) -> bytes:
        """The bytes uploaded and stored: header, newline, ciphertext."""
        return self.header() + b"\n" + self.ciphertext

    def commitment(self) -> str:
        """SHA-256 of the whole sealed document, lowercase hex (the blob store's name for it, and the log's entry)."""
        return hashlib.sha256(self.to_bytes()).hexdigest()


@dataclass(frozen=True)
class OpenedDocument:
    """What a sealed document held: its title, media type and content."""

    title: str
    content_type: str
    content: bytes


def _check_meta(title: str, content_type: str) -> None:
    if not title.strip() or len(title) > MAX_TITLE or not title.isprintable():
        raise InvalidArgumentError(f"a title is 1 to {MAX_TITLE} printable characters", field="title")
    if not content_type.strip() or len(content_type) > MAX_CONTENT_TYPE or not content_type.isprintable():
        raise InvalidArgumentError(
            f"a content type is 1 to {MAX_CONTENT_TYPE} printable characters", field="content_type"
        )


def document_payload(title: str, content_type: str, content: bytes) -> bytes:
    """The plaintext sealed for a document: canonical ``{"content_type", "title"}``, a newline, the content."""
    _check_meta(title, content_type)
    return canonical({"title": title, "content_type": content_type}) + b"\n" + content


def parse_document_payload(data: bytes) -> OpenedDocument:
    """Read an opened document's plaintext; MalformedEnvelopeError for anything ``document_payload`` never wrote."""
    meta, sep, content = data.partition(b"\n")
    if not sep:
        raise MalformedEnvelopeError("an opened document starts with its title and media type")
    document = parse_canonical(meta)
    check_keys(document, _META)
    title, content_type = text_field(document, "title"), text_field(document, "content_type")
    try:
        _check_meta(title, content_type)
    except InvalidArgumentError as exc:
        raise MalformedEnvelopeError(exc.message, **exc.fields) from None
    return OpenedDocument(title=title, content_type=content_type, content=content)


def read_header(data: bytes) -> tuple[DocumentContext, bytes, int]:
    """The context, ``enc`` and the ciphertext's offset from the start of a sealed document (only its header is read).

    Refuses what is not a canonical version-1 header with the bid suite (MalformedEnvelopeError,
    UnsupportedEnvelopeError).
    """
    end = data.find(b"\n", 0, MAX_HEADER + 1)
    if end < 0:
        raise MalformedEnvelopeError(f"a sealed document starts with a header line of at most {MAX_HEADER} bytes")
    document = parse_canonical(data[:end])
    if document.get("type") != DOCUMENT_TYPE:
        raise MalformedEnvelopeError(f"not a {DOCUMENT_TYPE} envelope")
    check_keys(document, _HEADER)
    check_suite(*(int_field(document, name) for name in ("v", "kem", "kdf", "aead")))
    context = DocumentContext(
        tender_id=identifier_field(document, "tender"),
        supplier_id=identifier_field(document, "supplier"),
        bid_id=identifier_field(document, "bid"),
    )
    enc = b64url_decode(text_field(document, "enc"), "enc")
    if len(enc) != hpke.KEY_SIZE:
        raise MalformedEnvelopeError("enc must be 32 bytes")
    return context, enc, end + 1


def parse_sealed_document(data: bytes) -> SealedDocument:
    """Parse a whole sealed document; the ciphertext holds at least the 16-byte tag."""
    context, enc, offset = read_header(data)
    ciphertext = data[offset:]
    if len(ciphertext) < hpke.TAG_SIZE:
        raise MalformedEnvelopeError("the ciphertext is shorter than its 16-byte tag")
    return SealedDocument(context=context, enc=enc, ciphertext=ciphertext)


def seal_document(
    public_key: bytes,
    context: DocumentContext,
    *,
    title: str,
    content_type: str,
    content: bytes,
    rng: hpke.Rng = secrets.token_bytes,
) -> SealedDocument:
    """Seal a file, its title and media type to the tender's 32-byte X25519 opening public key."""
    payload = document_payload(title, content_type, content)
    enc, ciphertext = hpke.seal(public_key, context.info(), context.aad(), payload, rng=rng)
    return SealedDocument(context=context, enc=enc, ciphertext=ciphertext)


def open_document(
    private_key: bytes, data: bytes, expected_commitment: str, *, expected_context: DocumentContext
) -> OpenedDocument:
    """Open a stored sealed document after checking its commitment and context; each failure has its own error.

    Order: the bytes' SHA-256 against the commitment logged on receipt; header and suite; the context against the bid
    the platform filed it under; then HPKE Open (altered ciphertext or enc, another context, or the wrong key fail).
    """
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest().encode(), expected_commitment.lower().encode()):
        raise CommitmentMismatchError("the sealed document's SHA-256 is not the commitment logged on receipt")
    sealed = parse_sealed_document(data)
    if sealed.context != expected_context:
        raise ContextMismatchError("the sealed document names another tender, supplier or bid than it is filed under")
    context = sealed.context
    plaintext = hpke.open_sealed(private_key, sealed.enc, context.info(), context.aad(), sealed.ciphertext)
    return parse_document_payload(plaintext)

"""Sealed bids: HPKE-encrypted to the tender's opening key, carried in a canonical envelope, committed by SHA-256.

``info`` binds the envelope type, its version and the tender; ``aad`` binds the supplier and the lot. Both are
RFC 8785 JSON so the browser computes the same bytes. The envelope repeats tender, supplier and lot in the clear so the
platform can file it and the opener can refuse a bid presented under another context before any decryption.
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
from quartermaster.sealing.errors import (
    CommitmentMismatchError,
    ContextMismatchError,
    InvalidArgumentError,
    MalformedEnvelopeError,
    UnsupportedEnvelopeError,
)

BID_TYPE = "quartermaster.sealed-bid"
VERSION = 1
MAX_PAYLOAD = 64 * 1024 * 1024  # prices and small documents; large files are sealed as blobs by the caller
_MEMBERS = frozenset({"type", "v", "kem", "kdf", "aead", "tender", "supplier", "lot", "enc", "ct"})


@dataclass(frozen=True)
class BidContext:
    """What a sealed bid is for: the tender, the supplier that sealed it and the lot (``None``: the whole tender)."""

    tender_id: str
    supplier_id: str
    lot_id: str | None = None

    def __post_init__(self) -> None:
        """Identifiers are 1 to 200 printable characters."""
        check_identifier("tender_id", self.tender_id)
        check_identifier("supplier_id", self.supplier_id)
        if self.lot_id is not None:
            check_identifier("lot_id", self.lot_id)

    def info(self) -> bytes:
        """HPKE ``info``: canonical JSON of the envelope type, version and tender id."""
        return canonical({"type": BID_TYPE, "v": VERSION, "tender": self.tender_id})

    def aad(self) -> bytes:
        """HPKE ``aad``: canonical JSON of the supplier and lot ids (``null`` lot for a whole-tender bid)."""
        return canonical({"supplier": self.supplier_id, "lot": self.lot_id})


@dataclass(frozen=True)
class SealedBid:
    """A sealed bid envelope (version 1): the context in the clear, HPKE ``enc`` and ciphertext, the suite ids."""

    context: BidContext
    enc: bytes
    ciphertext: bytes
    version: int = VERSION
    kem_id: int = hpke.KEM_X25519_HKDF_SHA256
    kdf_id: int = hpke.KDF_HKDF_SHA256
    aead_id: int = hpke.AEAD_AES_256_GCM

    def to_bytes(self) -> bytes:
        """The envelope's canonical encoding: RFC 8785 JSON, binary fields in unpadded base64url."""
        return canonical(
            {
                "type": BID_TYPE,
                "v": self.version,
                "kem": self.kem_id,
                "kdf": self.kdf_id,
                "aead": self.aead_id,
                "tender": self.context.tender_id,
                "supplier": self.context.supplier_id,
                "lot": self.context.lot_id,
                "enc": b64url_encode(self.enc),
                "ct": b64url_encode(self.ciphertext),
            }
        )

    def commitment(self) -> str:
        """SHA-256 of the canonical envelope, lowercase hex: the value the transparency log records on receipt."""
        return hashlib.sha256(self.to_bytes()).hexdigest()


def check_suite(version: int, kem_id: int, kdf_id: int, aead_id: int) -> None:
    """Refuse any envelope version or HPKE suite other than version 1 with the bid suite."""
    if version != VERSION:
        raise UnsupportedEnvelopeError(f"envelope version {version} is not supported (only {VERSION})")
    suite = hpke.BID_SUITE
    if (kem_id, kdf_id, aead_id) != (suite.kem_id, suite.kdf_id, suite.aead_id):
        raise UnsupportedEnvelopeError(
            f"HPKE suite ({kem_id}, {kdf_id}, {aead_id}) is not supported "
            f"(only DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM)"
        )


def parse_sealed_bid(data: bytes) -> SealedBid:
    """Parse a canonical sealed-bid envelope; anything else is a MalformedEnvelopeError or UnsupportedEnvelopeError."""
    document = parse_canonical(data)
    if document.get("type") != BID_TYPE:
        raise MalformedEnvelopeError(f"not a {BID_TYPE} envelope")
    check_keys(document, _MEMBERS)
    check_suite(*(int_field(document, name) for name in ("v", "kem", "kdf", "aead")))
    lot = document["lot"]
    context = BidContext(
        tender_id=identifier_field(document, "tender"),
        supplier_id=identifier_field(document, "supplier"),
        lot_id=None if lot is None else identifier_field(document, "lot"),
    )
    enc = b64url_decode(text_field(document, "enc"), "enc")
    ciphertext = b64url_decode(text_field(document, "ct"), "ct")
    if len(enc) != hpke.KEY_SIZE or len(ciphertext) < hpke.TAG_SIZE:
        raise MalformedEnvelopeError("enc must be 32 bytes and ct at least the 16-byte tag")
    return SealedBid(context=context, enc=enc, ciphertext=ciphertext)


def seal_bid(
    public_key: bytes,
    tender_id: str,
    supplier_id: str,
    payload: bytes,
    *,
    lot_id: str | None = None,
    rng: hpke.Rng = secrets.token_bytes,
) -> SealedBid:
    """Seal ``payload`` (the bid's prices or documents) to the tender's 32-byte X25519 opening public key."""
    if len(payload) > MAX_PAYLOAD:
        raise InvalidArgumentError(f"a sealed payload is at most {MAX_PAYLOAD} bytes", field="payload")
    context = BidContext(tender_id=tender_id, supplier_id=supplier_id, lot_id=lot_id)
    enc, ciphertext = hpke.seal(public_key, context.info(), context.aad(), payload, rng=rng)
    return SealedBid(context=context, enc=enc, ciphertext=ciphertext)


def open_bid(
    private_key: bytes, envelope: SealedBid, expected_commitment: str, *, expected_context: BidContext | None = None
) -> bytes:
    """Open a sealed bid after checking suite, context and commitment; each failure raises its own error.

    Order: unsupported version or suite; envelope for another tender, supplier or lot than ``expected_context`` (when
    given: the platform passes what it filed the bid under); commitment other than the one logged on receipt; and only
    then HPKE Open, whose failure means the ciphertext, enc, info or aad was altered or the key is not this tender's.
    """
    check_suite(envelope.version, envelope.kem_id, envelope.kdf_id, envelope.aead_id)
    if expected_context is not None and envelope.context != expected_context:
        raise ContextMismatchError("the envelope names another tender, supplier or lot than the bid it is filed under")
    if not hmac.compare_digest(envelope.commitment().encode(), expected_commitment.lower().encode()):
        raise CommitmentMismatchError("the envelope's SHA-256 is not the commitment logged on receipt")
    context = envelope.context
    return hpke.open_sealed(private_key, envelope.enc, context.info(), context.aad(), envelope.ciphertext)

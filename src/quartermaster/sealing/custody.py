"""Share custody: each share is HPKE-sealed to its committee member's own X25519 key and opened only with it.

The same suite as bids; ``info`` binds the envelope type, version, tender, member and share index, so a sealed
share moved to another member, tender or index no longer opens. ``split_and_seal`` never returns a share in the
clear: the platform stores only these envelopes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
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
from quartermaster.sealing.envelope import VERSION, check_suite
from quartermaster.sealing.errors import (
    ContextMismatchError,
    InvalidArgumentError,
    MalformedEnvelopeError,
)
from quartermaster.sealing.shares import KeyPair, Share, parse_share, split_private_key

SEALED_SHARE_TYPE = "quartermaster.sealed-share"
_MEMBERS = frozenset({"type", "v", "kem", "kdf", "aead", "tender", "member", "index", "enc", "ct"})


@dataclass(frozen=True)
class SealedShare:
    """A share sealed to one committee member: tender, member and index in the clear, the share itself encrypted."""

    tender_id: str
    member_id: str
    index: int
    enc: bytes
    ciphertext: bytes

    def info(self) -> bytes:
        """HPKE ``info``: canonical JSON of type, version, tender, member and share index."""
        return share_info(self.tender_id, self.member_id, self.index)

    def to_bytes(self) -> bytes:
        """Canonical JSON of the sealed share, binary fields in unpadded base64url."""
        suite = hpke.BID_SUITE
        return canonical(
            {
                "type": SEALED_SHARE_TYPE,
                "v": VERSION,
                "kem": suite.kem_id,
                "kdf": suite.kdf_id,
                "aead": suite.aead_id,
                "tender": self.tender_id,
                "member": self.member_id,
                "index": self.index,
                "enc": b64url_encode(self.enc),
                "ct": b64url_encode(self.ciphertext),
            }
        )


def share_info(tender_id: str, member_id: str, index: int) -> bytes:
    """The HPKE ``info`` of a sealed share."""
    return canonical(
        {"type": SEALED_SHARE_TYPE, "v": VERSION, "tender": tender_id, "member": member_id, "index": index}
    )


def seal_share(
    share: Share, member_id: str, member_public_key: bytes, *, rng: hpke.Rng = secrets.token_bytes
) -> SealedShare:
    """Seal one share to the member's 32-byte X25519 public key."""
    check_identifier("member_id", member_id)
    info = share_info(share.tender_id, member_id, share.index)
    enc, ciphertext = hpke.seal(member_public_key, info, b"", share.to_bytes(), rng=rng)
    return SealedShare(share.tender_id, member_id, share.index, enc, ciphertext)


def split_and_seal(
    opening_key: KeyPair,
    tender_id: str,
    threshold: int,
    members: Sequence[tuple[str, bytes]],
    *,
    rng: hpke.Rng = secrets.token_bytes,
) -> list[SealedShare]:
    """Split the opening key ``threshold``-of-``len(members)`` and seal share i to member i; no clear share escapes."""
    member_ids = [member_id for member_id, _ in members]
    if len(set(member_ids)) != len(member_ids):
        raise InvalidArgumentError("each committee member may hold only one share", field="members")
    shares = split_private_key(opening_key, tender_id, threshold, len(members), rng=rng)
    return [seal_share(share, mid, pk, rng=rng) for share, (mid, pk) in zip(shares, members, strict=True)]


def open_share(member_private_key: bytes, sealed: SealedShare, *, member_id: str) -> Share:
    """Open a sealed share with the member's private key; a share sealed to someone else is refused by name."""
    if sealed.member_id != member_id:
        raise ContextMismatchError("this share is sealed to another committee member")
    plaintext = hpke.open_sealed(member_private_key, sealed.enc, sealed.info(), b"", sealed.ciphertext)
    share = parse_share(plaintext)
    if (share.tender_id, share.index) != (sealed.tender_id, sealed.index):
        raise ContextMismatchError("the sealed share's label does not match the share inside it")
    return share


def parse_sealed_share(data: bytes) -> SealedShare:
    """Parse a canonical sealed-share envelope."""
    document = parse_canonical(data)
    if document.get("type") != SEALED_SHARE_TYPE:
        raise MalformedEnvelopeError(f"not a {SEALED_SHARE_TYPE} envelope")
    check_keys(document, _MEMBERS)
    check_suite(*(int_field(document, name) for name in ("v", "kem", "kdf", "aead")))
    enc = b64url_decode(text_field(document, "enc"), "enc")
    ciphertext = b64url_decode(text_field(document, "ct"), "ct")
    index = int_field(document, "index")
    if len(enc) != hpke.KEY_SIZE or len(ciphertext) < hpke.TAG_SIZE or index < 1:
        raise MalformedEnvelopeError("enc must be 32 bytes, ct at least the 16-byte tag, index at least 1")
    tender_id = identifier_field(document, "tender")
    return SealedShare(tender_id, identifier_field(document, "member"), index, enc, ciphertext)

"""Threshold-sealed bids, the pure cryptographic core: no database, web or CLI imports here.

Bids are sealed with RFC 9180 HPKE (base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM) to a per-tender
opening key; the opening private key is split k-of-n with Shamir's secret sharing over GF(2^521 - 1) and each share
is HPKE-sealed to its committee member's own key. See ``docs/sealing.md``.
"""

from quartermaster.sealing.custody import SealedShare, open_share, parse_sealed_share, seal_share, split_and_seal
from quartermaster.sealing.envelope import BidContext, SealedBid, open_bid, parse_sealed_bid, seal_bid
from quartermaster.sealing.errors import (
    CommitmentMismatchError,
    ContextMismatchError,
    DecryptionError,
    InvalidArgumentError,
    InvalidKeyError,
    MalformedEnvelopeError,
    MixedSharesError,
    NotEnoughSharesError,
    SealingError,
    ShareError,
    UnsupportedEnvelopeError,
    WrongShareError,
)
from quartermaster.sealing.prices import price_payload
from quartermaster.sealing.shares import (
    KeyPair,
    Share,
    combine_shares,
    generate_key_pair,
    parse_share,
    public_key_hash,
    split_private_key,
)

__all__ = [
    "BidContext",
    "CommitmentMismatchError",
    "ContextMismatchError",
    "DecryptionError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "KeyPair",
    "MalformedEnvelopeError",
    "MixedSharesError",
    "NotEnoughSharesError",
    "SealedBid",
    "SealedShare",
    "SealingError",
    "Share",
    "ShareError",
    "UnsupportedEnvelopeError",
    "WrongShareError",
    "combine_shares",
    "generate_key_pair",
    "open_bid",
    "open_share",
    "parse_sealed_bid",
    "parse_sealed_share",
    "parse_share",
    "price_payload",
    "public_key_hash",
    "seal_bid",
    "seal_share",
    "split_and_seal",
    "split_private_key",
]

"""Opening key pairs and their k-of-n threshold shares: split, encode, check and combine.

A share carries its index, k, n, the tender, a random split id and the SHA-256 of the opening public key, so a share
of another tender, another key or another split is refused by name before any arithmetic, and the reconstructed
private key is accepted only if its public key is the tender's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from quartermaster.sealing import shamir
from quartermaster.sealing.encoding import (
    b64url_decode,
    b64url_encode,
    canonical,
    check_identifier,
    check_keys,
    int_field,
    parse_canonical,
    text_field,
)
from quartermaster.sealing.errors import (
    InvalidArgumentError,
    MalformedEnvelopeError,
    MixedSharesError,
    NotEnoughSharesError,
    WrongShareError,
)
from quartermaster.sealing.hpke import KEY_SIZE, Rng, public_key_of

SHARE_TYPE = "quartermaster.key-share"
_MEMBERS = frozenset({"type", "v", "tender", "split", "pk", "index", "k", "n", "y"})


@dataclass(frozen=True)
class KeyPair:
    """An X25519 key pair as raw 32-byte strings; the private half never appears in ``repr``."""

    public_key: bytes
    private_key: bytes = field(repr=False)


def generate_key_pair(rng: Rng = secrets.token_bytes) -> KeyPair:
    """A fresh X25519 key pair (a tender's opening key or a committee member's custody key)."""
    private_key = rng(KEY_SIZE)
    return KeyPair(public_key=public_key_of(private_key), private_key=private_key)


def public_key_hash(public_key: bytes) -> str:
    """SHA-256 of a raw public key, lowercase hex: how a share names the key it belongs to."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True)
class Share:
    """One committee member's share of a tender's opening private key; ``value`` is secret and kept out of ``repr``."""

    tender_id: str
    split_id: str
    public_key_hash: str
    index: int
    threshold: int
    count: int
    value: int = field(repr=False)

    def __post_init__(self) -> None:
        """Check the share's header and value ranges before it can be used."""
        check_identifier("tender_id", self.tender_id)
        shamir.check_threshold(self.threshold, self.count)
        if not 1 <= self.index <= self.count:
            raise InvalidArgumentError(f"a share index is in 1..{self.count}, got {self.index}", field="index")
        if not 0 <= self.value < shamir.PRIME:
            raise InvalidArgumentError("a share value is an element of GF(2^521 - 1)", field="value")

    def header(self) -> tuple[str, str, str, int, int]:
        """What every share of one split has in common."""
        return self.tender_id, self.split_id, self.public_key_hash, self.threshold, self.count

    def to_bytes(self) -> bytes:
        """Canonical JSON of the share (only ever held encrypted to its member, see ``custody``)."""
        return canonical(
            {
                "type": SHARE_TYPE,
                "v": 1,
                "tender": self.tender_id,
                "split": self.split_id,
                "pk": self.public_key_hash,
                "index": self.index,
                "k": self.threshold,
                "n": self.count,
                "y": b64url_encode(self.value.to_bytes(shamir.ELEMENT_SIZE, "big")),
            }
        )


def parse_share(data: bytes) -> Share:
    """Parse a canonical share document."""
    document = parse_canonical(data)
    check_keys(document, _MEMBERS)
    if document["type"] != SHARE_TYPE or int_field(document, "v") != 1:
        raise MalformedEnvelopeError(f"not a version 1 {SHARE_TYPE}")
    value = b64url_decode(text_field(document, "y"), "y")
    if len(value) != shamir.ELEMENT_SIZE:
        raise MalformedEnvelopeError(f"a share value is {shamir.ELEMENT_SIZE} bytes", field="y")
    try:
        return Share(
            tender_id=text_field(document, "tender"),
            split_id=text_field(document, "split"),
            public_key_hash=text_field(document, "pk"),
            index=int_field(document, "index"),
            threshold=int_field(document, "k"),
            count=int_field(document, "n"),
            value=int.from_bytes(value, "big"),
        )
    except InvalidArgumentError as exc:
        raise MalformedEnvelopeError(f"share out of range: {exc.message}") from None


def split_private_key(
    key_pair: KeyPair, tender_id: str, k: int, n: int, *, rng: Rng = secrets.token_bytes
) -> list[Share]:
    """Split the opening private key k-of-n; the key is read as a big-endian integer below 2^256."""
    check_identifier("tender_id", tender_id)
    if len(key_pair.private_key) != KEY_SIZE or public_key_of(key_pair.private_key) != key_pair.public_key:
        raise InvalidArgumentError("the key pair's public key is not the one of its private key", field="key_pair")
    split_id = rng(16).hex()
    points = shamir.split(int.from_bytes(key_pair.private_key, "big"), k, n, rng)
    pk_hash = public_key_hash(key_pair.public_key)
    return [Share(tender_id, split_id, pk_hash, x, k, n, y) for x, y in points]


def combine_shares(shares: Sequence[Share], public_key: bytes) -> bytes:
    """Reconstruct the opening private key from at least k shares of one split and prove it against ``public_key``.

    Every given share is used, so one altered share among more than k still fails (WrongShareError) rather than
    being silently outvoted; the caller may then retry with other subsets.
    """
    points = _distinct_points(shares, public_key)
    secret = shamir.interpolate_at_zero(points)
    if secret >= 1 << (8 * KEY_SIZE):
        raise WrongShareError("the shares do not reconstruct a 32-byte key: at least one share is altered")
    private_key = secret.to_bytes(KEY_SIZE, "big")
    if not hmac.compare_digest(public_key_of(private_key), public_key):
        raise WrongShareError("the shares reconstruct another key than the tender's: at least one share is altered")
    return private_key


def _distinct_points(shares: Sequence[Share], public_key: bytes) -> list[tuple[int, int]]:
    """The shares' points after checking they are one split of ``public_key``'s key and at least k distinct ones."""
    if not shares:
        raise NotEnoughSharesError("no shares were given")
    header = shares[0].header()
    if any(share.header() != header for share in shares):
        raise MixedSharesError("the shares belong to different tenders, keys or splits")
    if not hmac.compare_digest(public_key_hash(public_key), shares[0].public_key_hash):
        raise MixedSharesError("the shares belong to another opening key than the tender's")
    values: dict[int, int] = {}
    for share in shares:
        if values.setdefault(share.index, share.value) != share.value:
            raise MixedSharesError(f"two different shares carry index {share.index}")
    threshold = shares[0].threshold
    if len(values) < threshold:
        raise NotEnoughSharesError(f"{len(values)} distinct shares given, {threshold} needed", needed=threshold)
    return sorted(values.items())

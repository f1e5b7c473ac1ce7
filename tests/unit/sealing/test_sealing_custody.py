"""Share custody: shares sealed to each member's own key open only with that key, for that member and index."""

from __future__ import annotations

import dataclasses
import json

import pytest

from quartermaster.sealing import (
    ContextMismatchError,
    DecryptionError,
    InvalidArgumentError,
    MalformedEnvelopeError,
    SealedShare,
    UnsupportedEnvelopeError,
    combine_shares,
    generate_key_pair,
    open_bid,
    open_share,
    parse_sealed_share,
    seal_bid,
    seal_share,
    split_and_seal,
    split_private_key,
)
from quartermaster.sealing.custody import share_info


def _committee(n: int) -> list[tuple[str, bytes, bytes]]:
    return [(f"member-{i}", *(lambda kp: (kp.public_key, kp.private_key))(generate_key_pair())) for i in range(n)]


def test_a_committee_opens_a_bid_with_k_released_shares() -> None:
    opening = generate_key_pair()
    committee = _committee(5)
    sealed = split_and_seal(opening, "T-1", 3, [(mid, pk) for mid, pk, _ in committee])
    bid = seal_bid(opening.public_key, "T-1", "supplier-1", b"price 100")
    stored = [parse_sealed_share(s.to_bytes()) for s in sealed]  # what the platform keeps
    released = [open_share(sk, stored[i], member_id=mid) for i, (mid, _, sk) in enumerate(committee) if i in (0, 2, 4)]
    private_key = combine_shares(released, opening.public_key)
    assert open_bid(private_key, bid, bid.commitment()) == b"price 100"


def test_the_stored_sealed_share_holds_no_share_in_the_clear() -> None:
    opening = generate_key_pair()
    committee = _committee(3)
    sealed = split_and_seal(opening, "T-1", 2, [(mid, pk) for mid, pk, _ in committee])
    plain = split_private_key(opening, "T-1", 2, 3)
    for envelope in sealed:
        stored = envelope.to_bytes()
        assert b'"y"' not in stored
        assert b"key-share" not in stored
        assert opening.private_key.hex().encode() not in stored
    assert all(p.to_bytes() not in b"".join(s.to_bytes() for s in sealed) for p in plain)


def test_a_share_opens_only_with_its_members_key() -> None:
    opening = generate_key_pair()
    (m0, pk0, sk0), (m1, _pk1, sk1) = _committee(2)
    share = split_private_key(opening, "T-1", 1, 2)[0]
    sealed = seal_share(share, m0, pk0)
    assert open_share(sk0, sealed, member_id=m0) == share
    with pytest.raises(DecryptionError):
        open_share(sk1, sealed, member_id=m0)
    with pytest.raises(ContextMismatchError, match="another committee member"):
        open_share(sk1, sealed, member_id=m1)


@pytest.mark.parametrize("changes", [{"member_id": "member-9"}, {"tender_id": "T-2"}, {"index": 2}])
def test_a_relabelled_sealed_share_no_longer_opens(changes: dict[str, object]) -> None:
    opening = generate_key_pair()
    ((m0, pk0, sk0),) = _committee(1)
    share = split_private_key(opening, "T-1", 1, 2)[0]
    moved = dataclasses.replace(seal_share(share, m0, pk0), **changes)
    with pytest.raises(DecryptionError):
        open_share(sk0, moved, member_id=moved.member_id)


def test_a_label_that_disagrees_with_the_share_inside_is_refused() -> None:
    """A member's key holder who seals a share under a wrong label (index 2 for share 1) is caught on opening."""
    opening = generate_key_pair()
    ((m0, pk0, sk0),) = _committee(1)
    share = split_private_key(opening, "T-1", 1, 2)[0]
    from quartermaster.sealing import hpke

    enc, ct = hpke.seal(
        pk0, share_info("T-1", m0, 2), b"", share.to_bytes(), rng=lambda n: generate_key_pair().private_key
    )
    with pytest.raises(ContextMismatchError, match="does not match"):
        open_share(sk0, SealedShare("T-1", m0, 2, enc, ct), member_id=m0)


def test_split_and_seal_refuses_a_member_twice_and_a_bad_member_id() -> None:
    opening = generate_key_pair()
    ((m0, pk0, _),) = _committee(1)
    with pytest.raises(InvalidArgumentError, match="only one share"):
        split_and_seal(opening, "T-1", 1, [(m0, pk0), (m0, pk0)])
    with pytest.raises(InvalidArgumentError, match="member_id"):
        split_and_seal(opening, "T-1", 1, [("", pk0)])


def _document(sealed: SealedShare, **changes: object) -> bytes:
    document = json.loads(sealed.to_bytes())
    document.update(changes)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "quartermaster.sealed-bid"},
        {"extra": 1},
        {"index": 0},
        {"enc": "AAAA"},
        {"ct": "AAAA"},
        {"member": ""},
        {"tender": 5},
    ],
)
def test_malformed_sealed_shares_are_refused(changes: dict[str, object]) -> None:
    ((m0, pk0, _),) = _committee(1)
    sealed = seal_share(split_private_key(generate_key_pair(), "T-1", 1, 1)[0], m0, pk0)
    with pytest.raises(MalformedEnvelopeError):
        parse_sealed_share(_document(sealed, **changes))


def test_a_sealed_share_of_another_suite_is_refused() -> None:
    ((m0, pk0, _),) = _committee(1)
    sealed = seal_share(split_private_key(generate_key_pair(), "T-1", 1, 1)[0], m0, pk0)
    with pytest.raises(UnsupportedEnvelopeError):
        parse_sealed_share(_document(sealed, aead=1))

"""Shamir k-of-n over GF(2^521 - 1): any k shares reconstruct the opening key, k - 1 do not, mixed shares are named."""

from __future__ import annotations

import dataclasses
import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartermaster.sealing import (
    InvalidArgumentError,
    KeyPair,
    MalformedEnvelopeError,
    MixedSharesError,
    NotEnoughSharesError,
    Share,
    WrongShareError,
    combine_shares,
    generate_key_pair,
    parse_share,
    shamir,
    split_private_key,
)
from quartermaster.sealing.hpke import public_key_of


def _rng(seed: int) -> shamir.Rng:
    return random.Random(seed).randbytes


def test_the_field_prime_is_the_mersenne_prime_2_521_minus_1() -> None:
    """A Miller-Rabin witness check (deterministic bases suffice as a sanity check on a known prime)."""
    p = shamir.PRIME
    d, r = p - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for base in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(base, d, p)
        assert x in (1, p - 1) or any(pow(x, 2**i, p) == p - 1 for i in range(1, r))
    assert p > 2**256
    assert p.bit_length() == 521
    assert shamir.ELEMENT_SIZE * 8 >= 521


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=20), secret=st.binary(min_size=32, max_size=32))
def test_any_k_shares_reconstruct_and_any_k_minus_1_do_not(data: st.DataObject, n: int, secret: bytes) -> None:
    k = data.draw(st.integers(min_value=1, max_value=n), label="k")
    keys = KeyPair(public_key=public_key_of(secret), private_key=secret)
    shares = split_private_key(keys, "T-1", k, n)
    chosen = data.draw(st.permutations(shares), label="order")[:k]
    assert combine_shares(chosen, keys.public_key) == secret
    assert combine_shares(shares, keys.public_key) == secret  # all n shares agree too
    fewer = chosen[: k - 1]
    with pytest.raises(NotEnoughSharesError):
        combine_shares(fewer, keys.public_key)
    if fewer:  # k - 1 points interpolate to a key unrelated to the secret
        guess = shamir.interpolate_at_zero([(s.index, s.value) for s in fewer])
        assert guess != int.from_bytes(secret, "big")
        if guess < 2**256:
            assert public_key_of(guess.to_bytes(32, "big")) != keys.public_key


def test_every_3_of_5_subset_reconstructs() -> None:
    keys = generate_key_pair()
    shares = split_private_key(keys, "T-1", 3, 5, rng=_rng(1))
    for subset in combinations(shares, 3):
        assert combine_shares(list(subset), keys.public_key) == keys.private_key


def test_a_deterministic_rng_gives_deterministic_shares() -> None:
    keys = generate_key_pair(_rng(7))
    assert split_private_key(keys, "T", 2, 3, rng=_rng(8)) == split_private_key(keys, "T", 2, 3, rng=_rng(8))
    assert split_private_key(keys, "T", 2, 3, rng=_rng(8)) != split_private_key(keys, "T", 2, 3, rng=_rng(9))


def test_1_of_1_and_k_of_k() -> None:
    keys = generate_key_pair()
    assert combine_shares(split_private_key(keys, "T", 1, 1), keys.public_key) == keys.private_key
    assert combine_shares(split_private_key(keys, "T", 20, 20), keys.public_key) == keys.private_key


def test_shares_of_two_tenders_are_detected() -> None:
    first, second = generate_key_pair(), generate_key_pair()
    a = split_private_key(first, "T-1", 2, 3)
    b = split_private_key(second, "T-2", 2, 3)
    with pytest.raises(MixedSharesError, match="different tenders"):
        combine_shares([a[0], b[1]], first.public_key)
    with pytest.raises(MixedSharesError, match="another opening key"):
        combine_shares(b[:2], first.public_key)


def test_shares_of_two_splits_of_one_key_are_detected() -> None:
    keys = generate_key_pair()
    a = split_private_key(keys, "T-1", 2, 3)
    b = split_private_key(keys, "T-1", 2, 3)
    with pytest.raises(MixedSharesError):
        combine_shares([a[0], b[1]], keys.public_key)


def test_a_duplicate_share_counts_once_and_a_conflicting_duplicate_is_refused() -> None:
    keys = generate_key_pair()
    shares = split_private_key(keys, "T-1", 2, 3)
    with pytest.raises(NotEnoughSharesError, match="1 distinct shares given, 2 needed"):
        combine_shares([shares[0], shares[0]], keys.public_key)
    assert combine_shares([shares[0], shares[0], shares[2]], keys.public_key) == keys.private_key
    forged = dataclasses.replace(shares[0], value=(shares[0].value + 1) % shamir.PRIME)
    with pytest.raises(MixedSharesError, match="index 1"):
        combine_shares([shares[0], forged, shares[1]], keys.public_key)


def test_no_shares() -> None:
    with pytest.raises(NotEnoughSharesError, match="no shares"):
        combine_shares([], generate_key_pair().public_key)


@pytest.mark.parametrize("delta", [1, 2**300])
def test_an_altered_share_value_is_detected_against_the_public_key(delta: int) -> None:
    keys = generate_key_pair()
    shares = split_private_key(keys, "T-1", 2, 3)
    altered = dataclasses.replace(shares[1], value=(shares[1].value + delta) % shamir.PRIME)
    with pytest.raises(WrongShareError):
        combine_shares([shares[0], altered], keys.public_key)
    with pytest.raises(WrongShareError):  # one bad share among more than k is not outvoted
        combine_shares([shares[0], shares[2], altered], keys.public_key)


def test_a_reconstruction_of_more_than_32_bytes_is_a_wrong_share() -> None:
    keys = generate_key_pair()
    shares = split_private_key(keys, "T-1", 1, 2)  # degree 0: every share's value is the secret
    big = [dataclasses.replace(s, value=2**300) for s in shares]
    with pytest.raises(WrongShareError, match="32-byte"):
        combine_shares(big, keys.public_key)


def test_interpolation_preconditions() -> None:
    with pytest.raises(NotEnoughSharesError):
        shamir.interpolate_at_zero([])
    with pytest.raises(MixedSharesError):
        shamir.interpolate_at_zero([(1, 5), (1, 6)])
    with pytest.raises(MixedSharesError):
        shamir.interpolate_at_zero([(0, 5)])


@pytest.mark.parametrize(("k", "n"), [(0, 3), (4, 3), (1, 0), (2, 256), (-1, 2)])
def test_impossible_thresholds_are_refused(k: int, n: int) -> None:
    with pytest.raises(InvalidArgumentError, match="k-of-n"):
        split_private_key(generate_key_pair(), "T", k, n)


def test_split_refuses_a_mismatched_key_pair_a_bad_tender_and_an_out_of_field_secret() -> None:
    keys, other = generate_key_pair(), generate_key_pair()
    with pytest.raises(InvalidArgumentError, match="key pair"):
        split_private_key(KeyPair(public_key=other.public_key, private_key=keys.private_key), "T", 1, 1)
    with pytest.raises(InvalidArgumentError, match="key pair"):
        split_private_key(KeyPair(public_key=keys.public_key, private_key=keys.private_key[:31]), "T", 1, 1)
    with pytest.raises(InvalidArgumentError, match="tender_id"):
        split_private_key(keys, "", 1, 1)
    with pytest.raises(InvalidArgumentError, match="secret"):
        shamir.split(shamir.PRIME, 1, 1, _rng(0))


def test_random_elements_redraw_the_one_out_of_range_value() -> None:
    draws = iter([b"\xff" * shamir.ELEMENT_SIZE, b"\x00" * (shamir.ELEMENT_SIZE - 1) + b"\x05"])
    assert shamir.random_element(lambda size: next(draws)) == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"index": 0}, "index"), ({"index": 4}, "index"), ({"value": shamir.PRIME}, "value"), ({"value": -1}, "value")],
)
def test_out_of_range_shares_cannot_be_built(changes: dict[str, int], field: str) -> None:
    share = split_private_key(generate_key_pair(), "T", 2, 3)[0]
    with pytest.raises(InvalidArgumentError) as caught:
        dataclasses.replace(share, **changes)
    assert caught.value.fields["field"] == field


def test_the_share_encoding_round_trips_and_hides_the_value_from_repr() -> None:
    share = split_private_key(generate_key_pair(), "T", 2, 3)[1]
    assert parse_share(share.to_bytes()) == share
    assert str(share.value) not in repr(share)
    keys = generate_key_pair()
    assert keys.private_key.hex() not in repr(keys)
    assert str(keys.private_key) not in repr(keys)


def _share_document(share: Share, **changes: object) -> bytes:
    import json

    document = json.loads(share.to_bytes())
    document.update(changes)
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "other"},
        {"v": 2},
        {"y": "AAAA"},
        {"index": 9},
        {"k": 0},
        {"index": "1"},
        {"extra": 1},
    ],
)
def test_malformed_share_documents_are_refused(changes: dict[str, object]) -> None:
    share = split_private_key(generate_key_pair(), "T", 2, 3)[0]
    with pytest.raises(MalformedEnvelopeError):
        parse_share(_share_document(share, **changes))

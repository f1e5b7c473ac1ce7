"""Shamir's secret sharing (Shamir 1979) over the prime field GF(2^521 - 1).

Why this field: the secret is a 32-byte X25519 private key, i.e. any integer in [0, 2^256). The Mersenne prime
p = 2^521 - 1 (the P-521 field prime) exceeds 2^256, so every secret is a field element as it is, with no reduction
and no bias; reconstruction of honest shares gives back an integer below 2^256, and anything else proves a bad share.
(2^255 - 19 would not do: the 19 keys in [p, 2^255) and every key with the top bit set would not fit.) Each of the
k - 1 random coefficients is uniform in [0, p) by rejection sampling, so any k - 1 shares are uniform and independent
of the secret: information-theoretic secrecy, whatever the secret's distribution.
"""

from __future__ import annotations

from collections.abc import Sequence

from quartermaster.sealing.errors import InvalidArgumentError, MixedSharesError, NotEnoughSharesError
from quartermaster.sealing.hpke import Rng

PRIME = 2**521 - 1
ELEMENT_SIZE = 66  # bytes of a field element, big-endian
MAX_SHARES = 255  # share indexes are 1..n; far above any committee


def random_element(rng: Rng) -> int:
    """A uniform element of GF(p): 521 random bits, redrawn while the value is p itself (probability 2^-521)."""
    while True:
        value = int.from_bytes(rng(ELEMENT_SIZE), "big") & PRIME  # PRIME is 521 one-bits: keeps the low 521 bits
        if value < PRIME:
            return value


def check_threshold(k: int, n: int) -> None:
    """Require 1 <= k <= n <= MAX_SHARES before any arithmetic."""
    if not 1 <= k <= n <= MAX_SHARES:
        raise InvalidArgumentError(f"a k-of-n split needs 1 <= k <= n <= {MAX_SHARES}, got k={k}, n={n}", field="k")


def split(secret: int, k: int, n: int, rng: Rng) -> list[tuple[int, int]]:
    """Points ``(x, f(x))`` for x = 1..n of a random degree k - 1 polynomial with f(0) = ``secret``."""
    check_threshold(k, n)
    if not 0 <= secret < PRIME:
        raise InvalidArgumentError("the secret must be an element of GF(2^521 - 1)", field="secret")
    coefficients = [secret] + [random_element(rng) for _ in range(k - 1)]
    return [(x, evaluate(coefficients, x)) for x in range(1, n + 1)]


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """f(x) mod p by Horner's rule, coefficients lowest degree first."""
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % PRIME
    return result


def interpolate_at_zero(points: Sequence[tuple[int, int]]) -> int:
    """Lagrange interpolation at 0 of the unique polynomial of degree < len(points) through ``points``.

    Preconditions before arithmetic: at least one point, distinct x in [1, p). With k points of a degree k - 1
    polynomial this is its secret; with fewer it is a value independent of the secret.
    """
    if not points:
        raise NotEnoughSharesError("interpolation needs at least one point")
    xs = [x for x, _ in points]
    if len(set(xs)) != len(xs) or not all(0 < x < PRIME for x in xs):
        raise MixedSharesError("interpolation needs distinct share indexes in [1, p)")
    total = 0
    for i, (x_i, y_i) in enumerate(points):
        numerator, denominator = 1, 1
        for j, x_j in enumerate(xs):
            if j != i:
                numerator = numerator * x_j % PRIME  # (0 - x_j) / (x_i - x_j) with both signs flipped
                denominator = denominator * (x_j - x_i) % PRIME
        total = (total + y_i * numerator * pow(denominator, -1, PRIME)) % PRIME
    return total

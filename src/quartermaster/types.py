"""Shared value types: Money (Decimal + ISO 4217 currency), security markings and the Clock port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal, Protocol

# ISO 4217 minor units for the currencies a defence buyer meets; others default to 2.
_MINOR_UNITS = {"UAH": 2, "EUR": 2, "USD": 2, "GBP": 2, "PLN": 2, "NOK": 2, "JPY": 0, "CHF": 2, "CZK": 2}


# Security markings, lowest first. Each maps to national and NATO markings in the disclosure policy; a tender,
# lot, item, document or contract carries one, and a user holds a clearance of the same scale.
MarkingName = Literal["public", "restricted", "confidential", "secret"]
MARKINGS: tuple[MarkingName, ...] = ("public", "restricted", "confidential", "secret")


def marking_rank(marking: str) -> int:
    """Position of a marking on the scale (public = 0); ValueError for an unknown one."""
    if marking not in MARKINGS:
        raise ValueError(f"unknown marking {marking!r}; expected one of {', '.join(MARKINGS)}")
    return MARKINGS.index(marking)


def max_marking(*markings: str | None) -> MarkingName:
    """The highest of some markings (None = inherits, ignored); public when none is given."""
    return MARKINGS[max((marking_rank(m) for m in markings if m is not None), default=0)]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Always Decimal, never float; quantized to the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):  # floats carry binary rounding errors into prices
            raise TypeError("Money amount must be Decimal or str, not float")
        try:
            amount = Decimal(self.amount)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {self.amount!r}") from exc
        if not amount.is_finite():
            raise ValueError("amount must be finite")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")
        exp = Decimal(1).scaleb(-_MINOR_UNITS.get(self.currency, 2))
        object.__setattr__(self, "amount", amount.quantize(exp, rounding=ROUND_HALF_EVEN))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class Clock(Protocol):
    """The server's time authority. Read once per command and passed down as ``now``."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """Current wall-clock time, UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations: it moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self._now = when

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now = self._now + delta
        return self._now


def utc(dt: datetime) -> datetime:
    """Normalise a datetime to aware UTC (naive values from SQLite are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
